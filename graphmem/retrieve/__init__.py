"""Query-time retrieval: seeding, Personalized PageRank over the memory graph, passage ranking."""
