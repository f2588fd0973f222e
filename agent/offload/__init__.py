"""Handing drafts and judge calls to batch engines instead of calling the model live.

The OpenAI Batch API (also on Azure OpenAI) and vLLM's offline runner (`run_batch`) read
and write the same JSONL: one request per line with a `custom_id`, one result per line
with the same `custom_id`. calmreply writes the requests (export.py), reads the results
back (results.py) and turns them into the same output lines as a live batch (importer.py);
`--via batch-api` does all of it against the provider's Files and Batches endpoints and
survives being killed at any stage (batch_api.py, state.py). cost.py estimates tokens and
money before, and counts them after.
"""
