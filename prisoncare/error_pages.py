"""Errors are translated here, once: JSON envelopes for /api, pages in the
site's layout for people."""
import logging

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import DomainError, NotAuthenticated
from .extensions import db

log = logging.getLogger(__name__)

HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "validation_failed", 429: "too_many_requests"}


def is_api() -> bool:
    return request.path.startswith("/api/")


def envelope(status: int, code: str, message: str, fields=None):
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def flatten(messages, prefix="") -> dict[str, list[str]]:
    """webargs/marshmallow messages -> {"field.path": ["why"]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_body"] = list(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            out.update(flatten(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "_body"] = [str(messages)]
    return out


def _webargs_fields(error: HTTPException):
    messages = (getattr(error, "data", None) or {}).get("messages")
    if not isinstance(messages, dict):
        return None
    merged = {}
    for _location, msgs in messages.items():  # {"json": {...}, "query": {...}}
        merged.update(flatten(msgs))
    return merged


def page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title,
                           message=message), status


def handle_domain_error(error: DomainError):
    db.session.rollback()
    if is_api():
        return envelope(error.status, error.code, error.message, error.fields)
    if isinstance(error, NotAuthenticated):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if error.status in (400, 409, 422) and request.method == "POST" and request.referrer:
        flash(error.message, "error")
        for field, reasons in (error.fields or {}).items():
            flash(f"{field.replace('_', ' ')}: {'; '.join(reasons)}", "error")
        return redirect(request.referrer)
    titles = {403: "Not allowed", 404: "Not found", 429: "Locked out"}
    return page(error.status, titles.get(error.status, "Cannot do that"), error.message)


def handle_csrf_error(error: CSRFError):
    db.session.rollback()
    message = "The form or request is missing its security token; reload the page and try again."
    if is_api():
        return envelope(403, "csrf_failed", message)
    return page(403, "Security token missing", message)


def handle_http_exception(error: HTTPException):
    db.session.rollback()
    status = error.code or 500
    if is_api():
        fields = _webargs_fields(error)
        if status == 400 and fields:
            return envelope(400, "malformed_json", "The request body is not valid JSON.")
        if status == 422:
            return envelope(422, "validation_failed", "Some fields are not valid.", fields)
        return envelope(status, HTTP_CODES.get(status, "error"), error.description or error.name)
    return page(status, error.name, error.description or "")


def handle_unexpected(error: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    message = "Something went wrong; nothing was saved. Try again, or tell IT if it keeps happening."
    if is_api():
        return envelope(500, "internal_error", message)
    return page(500, "Something went wrong", message)


def init_error_handlers(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
