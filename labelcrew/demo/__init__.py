"""The demo project behind `labelcrew serve --demo`: sentiment data, a team, history."""
