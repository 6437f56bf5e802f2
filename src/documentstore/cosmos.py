"""Azure Cosmos DB adapter of the document-store port."""
