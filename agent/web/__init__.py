"""The agent desk: a local web page (and JSON API) for drafting and grading replies.

app.py builds the FastAPI app, commands.py holds `calmreply serve` and
`calmreply feedback export`, feedback.py the SQLite store of drafts and ratings,
scoring.py the bridge to the graders in evals/, streaming.py the streamed draft,
static/ the page itself (plain JS, no build step, nothing from a CDN).
"""
