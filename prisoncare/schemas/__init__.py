"""marshmallow schemas: shape and format only; no queries, no current_user."""
