"""themes: tag children's social care complaints and compliments with themes and a category.

Where things live, lowest layer first (imports point down only):

* errors, taxonomy - user-facing errors; the label set;
* io, redact, report, workdays, datacheck - reading and writing logs, redaction,
  the annual report (their own packages);
* model/ - the classifier as a scikit-learn-style estimator;
* store/ - model folders: saving, loading (with format versions), the registry;
* dataset - which columns hold text and labels; labelled rows from a table;
* flows/ - what each command runs (train, tag, retrain, review, explain, evaluate);
* cli/ - the ``themes`` command line.

``default_model/`` (package data) is the model used when none is named.
"""

__version__ = "0.1.0"
