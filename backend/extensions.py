"""Extensions, created unbound and bound in create_app."""

from __future__ import annotations

import json

import flask_smorest
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from webargs.flaskparser import FlaskParser

from backend.errors import ErrorEnvelope, http_error_response

# Stable constraint names, so that Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Api(SmorestApi):
    """Every HTTP error, flask-smorest's and werkzeug's, goes through our one JSON envelope."""

    ERROR_SCHEMA = ErrorEnvelope

    def handle_http_exception(self, error):
        return http_error_response(error)


class ArgumentsParser(FlaskParser):
    """webargs' parser, but JSON nested deeper than Python's parser recurses is malformed
    (400 malformed_json) like any other bad JSON, not a 500."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            self._handle_invalid_json_error(json.JSONDecodeError("nested too deeply", "", 0), req)


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: flask-smorest's, with our arguments parser."""

    ARGUMENTS_PARSER = ArgumentsParser()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()
api = Api()
