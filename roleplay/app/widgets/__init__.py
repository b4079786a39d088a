"""Widgets shared by the practice, debrief and team screens: the transcript, the grades panel,
the persona card a colleague plays the buyer from."""
