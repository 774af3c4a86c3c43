"""What both runners' extraction workers share: how a worker loads spaCy, and the error a job
raises when a worker is lost. Imported by :mod:`pipelines.backends` (process pool) and
:mod:`pipelines.ray_backend` (Ray actors), so neither imports the other for it.
"""

from __future__ import annotations

import logging
import sys

from graphmem.config import ExtractConfig
from graphmem.errors import GraphMemError
from graphmem.extract import SpacyExtractor

__all__ = ["WorkerError", "load_spacy_without_torch"]

log = logging.getLogger(__name__)


class WorkerError(GraphMemError):
    """An extraction worker died (killed, out of memory) or could not start."""


def load_spacy_without_torch(config: ExtractConfig) -> SpacyExtractor:
    """A loaded SpacyExtractor, keeping torch out of the process when the pipeline allows.

    spaCy's thinc imports torch whenever it is installed, although the CNN pipelines (``sm``,
    ``md``, ``lg``) never use it: that import costs a worker about 1 s and 200 MB. torch is
    hidden while the pipeline loads; a pipeline that fails to load without it (a transformer
    pipeline) is loaded again with torch available. Results are the same either way (thinc
    computes with numpy for these pipelines).
    """
    hidden = "torch" not in sys.modules
    if hidden:
        sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail
    try:
        extractor = SpacyExtractor(config)
        _ = extractor.nlp
        return extractor
    except Exception as exc:
        if not hidden:
            raise
        log.info("spaCy pipeline needs torch (%s); loading it with torch", exc)
    finally:
        if hidden:
            del sys.modules["torch"]
    extractor = SpacyExtractor(config)
    _ = extractor.nlp
    return extractor
