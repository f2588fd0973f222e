"""The eval suite: rubrics, graders (deterministic and LLM judge), suites, the runner,
reports, calibration against gold labels, and the `calmreply eval` / `grade` commands."""
