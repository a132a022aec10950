"""The SQLite latent cache: schema, migrations and opening the database."""
