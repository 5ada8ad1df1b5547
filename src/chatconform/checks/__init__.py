"""Built-in checks, one module per area. Importing this package registers them all."""

from chatconform.checks import (  # noqa: F401  (registration happens on import)
    auth,
    errors,
    headers,
    logprobs,
    reasoning,
    requests,
    responses,
    semantics,
    streaming,
    tools,
)
