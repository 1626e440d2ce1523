# scheduling: appointments without double booking, hours, slots, series,
# waitlist, reminders, rebooking, FHIR out.
AREAS += 30:scheduling
