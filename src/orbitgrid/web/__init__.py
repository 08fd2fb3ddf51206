"""The dashboard: a FastAPI app over a folder of runs, with plots and a CesiumJS globe."""

from orbitgrid.web.app import create_app

__all__ = ["create_app"]
