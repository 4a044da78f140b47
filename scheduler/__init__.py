"""The application: command line, file I/O, iCal feeds, reports and orchestration."""
