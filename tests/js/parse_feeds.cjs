// Parses each .ics file named on the command line with ical.js (Thunderbird's parser) and
// prints one JSON line per file: its event count and each event's UID, local start (wall clock
// in its TZID) and UTC start, so the Python test can compare them with the plan.
const fs = require("fs");
const ICAL = require("ical.js");

for (const file of process.argv.slice(2)) {
  const root = ICAL.Component.fromString(fs.readFileSync(file, "utf8"));
  for (const tz of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(tz);
  }
  const events = root.getAllSubcomponents("vevent").map((c) => {
    const ev = new ICAL.Event(c);
    return {
      uid: ev.uid,
      local: ev.startDate.toString(),
      tzid: ev.startDate.zone ? ev.startDate.zone.tzid : null,
      utc: ev.startDate.toJSDate().toISOString(),
      status: c.getFirstPropertyValue("status"),
      sequence: c.getFirstPropertyValue("sequence"),
    };
  });
  console.log(JSON.stringify({ file, count: events.length, events }));
}
