"""The HTTP API: FastAPI on uvicorn, commands to the log and queries to read models."""
