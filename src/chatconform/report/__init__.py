"""Reports: summary.json, JUnit, allure results and the vendor evaluation report."""
