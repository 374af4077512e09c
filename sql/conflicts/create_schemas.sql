-- Schemas of the analyst file: staging (pipeline internals) and mart (what analysts use).
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS mart;
