from chatconform.cli import main

raise SystemExit(main())
