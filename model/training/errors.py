"""The exceptions of :mod:`model.training`: data that cannot become training or test labels."""

from __future__ import annotations


class TrainingDataError(Exception):
    """Base of every error :mod:`model.training` raises itself."""


class UnknownTweetError(TrainingDataError, KeyError):
    """A label names a corpus tweet the corpus does not hold."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class MismatchedLabelsError(TrainingDataError, ValueError):
    """Two annotators' files are not about the same tweets, line by line."""


class AnnotationError(TrainingDataError, ValueError):
    """An annotator's or adjudicator's file that does not label its packet exactly once per tweet."""
