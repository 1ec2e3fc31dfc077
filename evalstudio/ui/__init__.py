"""The Qt front end: widgets that call services and listen to signals."""
