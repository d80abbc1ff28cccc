"""The only package that speaks SQL: models, repositories, unit of work, migrations."""
