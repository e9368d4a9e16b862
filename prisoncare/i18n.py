"""Flask-Babel: the patient's copy of the release plan in her language.

`init_i18n(app)` is idempotent. Staff pages stay in English (the locale selector
answers "en"); documents for a patient are rendered inside
`flask_babel.force_locale(patient_locale(patient))`.

Translations live in prisoncare/translations/<lang>/LC_MESSAGES/messages.po;
the compiled .mo files are committed beside them (see README, "Translations").
"""
import os

from flask_babel import Babel

LANGUAGES = ("en", "uk", "ru")
DEFAULT = "en"


def patient_locale(patient) -> str:
    """'uk-UA', 'uk_UA', 'UK' -> 'uk'; anything we have no translation for -> 'en'."""
    code = (getattr(patient, "preferred_language", None) or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT


def init_i18n(app) -> None:
    if "babel" in app.extensions:
        return
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES",
                          os.path.join(os.path.dirname(__file__), "translations"))
    Babel(app, locale_selector=lambda: DEFAULT)
