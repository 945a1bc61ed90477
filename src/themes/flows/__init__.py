"""What the commands run, one flow per module; each returns values and prints nothing.

metrics (scores), evaluate (measuring a model), train (a model folder from a labelled
file), tag (a whole log, streamed), explain (the words behind a suggestion), review
(the review queue), corrections (reading review files and merging them), gate (the
retrain gate), retrain (learning from corrections).
"""
