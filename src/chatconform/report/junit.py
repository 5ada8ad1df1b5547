"""JUnit XML per provider: one testcase per probe, for CI systems that read nothing else.

pytest's own ``--junitxml`` writes one file per session; a run over several providers
needs one file per provider beside its summary, so the file is written here from the
probe results (and pytest's remains available to whoever asks for it).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from chatconform.engine.runner import ProbeResult
from chatconform.report.redact import Scrubber


def failure_text(result: ProbeResult) -> str:
    """Every failed check of a probe: name, rule, citation, then Received/Expected."""
    return "\n\n".join(
        f"[{o.check}] rule {o.rule or '-'} ({o.citation or 'baseline'})\n{o.message}"
        for o in result.failed
    )


def skip_text(result: ProbeResult) -> str:
    reasons = sorted({o.message for o in result.outcomes if o.status == "skipped" and o.message})
    return "; ".join(reasons) or "no check applied"


def write_junit(path: Path, provider: str, results: list[ProbeResult], scrubber: Scrubber) -> None:
    suite = ET.Element("testsuite", name=f"chatconform.{provider}")
    failures = skipped = 0
    total_time = 0.0
    for result in results:
        elapsed = result.exchange.response.elapsed_s if result.exchange else 0.0
        total_time += elapsed
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{provider}.{result.probe.area}",
            name=result.probe.id,
            time=f"{elapsed:.3f}",
        )
        if result.failed:
            failures += 1
            names = ", ".join(o.check for o in result.failed)
            node = ET.SubElement(case, "failure", message=scrubber.text(f"failed: {names}"))
            node.text = scrubber.text(failure_text(result))
        elif all(o.status == "skipped" for o in result.outcomes):
            skipped += 1
            ET.SubElement(case, "skipped", message=scrubber.text(skip_text(result)))
    suite.set("tests", str(len(results)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{total_time:.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
