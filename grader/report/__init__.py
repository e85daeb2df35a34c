"""Renderers: each reads a finished Report and writes one format; none recomputes a score."""
