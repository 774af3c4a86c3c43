"""graphmem: a graph-based long-term memory for LLM applications (HippoRAG 2 style).

Text becomes passages, entities and (subject, predicate, object) facts in a knowledge graph;
queries are linked to facts and entities and answered with Personalized PageRank over the graph.
"""

from graphmem.config import (
    ChunkConfig,
    EmbedConfig,
    ExtractConfig,
    GraphConfig,
    MemoryConfig,
    RetrieveConfig,
    StoreConfig,
)
from graphmem.errors import (
    ConflictError,
    EmbedderMismatchError,
    GraphMemError,
    InputError,
    MissingDependencyError,
    ModelNotFoundError,
    NotFoundError,
    StoreError,
)
from graphmem.io import read_documents
from graphmem.llm_config import LLMConfig
from graphmem.memory import Memory
from graphmem.store.base import DeleteReport
from graphmem.types import Answer, Citation, Document, Explanation, Hit, SeedFact

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "ChunkConfig",
    "Citation",
    "ConflictError",
    "DeleteReport",
    "Document",
    "EmbedConfig",
    "EmbedderMismatchError",
    "Explanation",
    "ExtractConfig",
    "GraphConfig",
    "GraphMemError",
    "Hit",
    "InputError",
    "LLMConfig",
    "Memory",
    "MemoryConfig",
    "MissingDependencyError",
    "ModelNotFoundError",
    "NotFoundError",
    "RetrieveConfig",
    "SeedFact",
    "StoreConfig",
    "StoreError",
    "read_documents",
]
