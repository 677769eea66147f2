"""Input validation, seeding and device helpers shared by every layer."""
