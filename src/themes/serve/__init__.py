"""``themes serve``: a local web page and a JSON API over one model loaded once.

settings (validated options), holder (the served model, switched under a lock),
limits (body-size limit before parsing, access log without bodies), problems (JSON
errors that never quote complaint text), reviews (review files opened, ordered and
saved), jobs (retraining in the background), api (the JSON routes), page (the
HTML page), app (the application factory).
"""

from themes.serve.app import create_app
from themes.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
