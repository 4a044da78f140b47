"""Synthetic scenarios of any size, shaped like England's primary care, for benchmarks and tests.

`generate_scenario(practices, networks, seed)` builds one NHS year (April 2027 to March 2028)
for an area of 1 to about 6,300 GP practices in 1 to about 1,250 primary care networks: list
sizes drawn around a median of 9,000 patients, headcounts per role from national ratios, a
fixed PLT course catalogue, trainers, venues and out-of-hours cover providers that grow with
the area. Every draw comes from one `random.Random(seed)` in a fixed order, so the same
arguments always give the same scenario. Cover is generous for small areas (one wave) and
tight for large ones (several waves), and mandatory demand is soft because a large synthetic
area cannot meet all of it.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from .scenario import (
    Blackout,
    Block,
    CalendarRules,
    Course,
    CoverProvider,
    Delivery,
    Demand,
    DevelopmentTarget,
    Period,
    Policy,
    Practice,
    Programme,
    Role,
    Room,
    Scenario,
    TimeWindow,
    Trainer,
    Venue,
    Weekday,
)

MAX_PRACTICES = 99_999  # ODS codes are Y plus five digits
PERIOD = Period(start=dt.date(2027, 4, 1), end=dt.date(2028, 3, 31), timezone="Europe/London")
WEEKDAYS = [Weekday.tue, Weekday.wed, Weekday.thu]
BLACKOUT_MONTHS = [8, 12]

CLINICAL = ["gp", "nurse", "hca", "pharmacist", "bank-gp", "bank-nurse"]
NON_CLINICAL = ["admin", "manager"]
EVERYONE = CLINICAL + NON_CLINICAL
ON_SITE_STAFF = ["gp", "nurse", "hca", "pharmacist", "admin", "manager"]  # bank staff are not on site

# role: registered patients per head (rounded; at least one GP, nurse and HCA; one manager).
PATIENTS_PER_HEAD = {
    "gp": 1800, "nurse": 7000, "hca": 9000, "pharmacist": 12000,
    "admin": 700, "bank-gp": 8000, "bank-nurse": 15000,
}

LIST_MEDIAN, LIST_SIGMA, LIST_MIN, LIST_MAX = 9000, 0.5, 2000, 30000
PATIENTS_PER_PROVIDER = 150_000
PRACTICES_PER_TRAINER = 8
NETWORKS_PER_VENUE = 10

# (postcode area, town): a venue's region and the postcodes of its networks' practices.
AREAS = [
    ("NR", "Norwich"), ("CB", "Cambridge"), ("LS", "Leeds"), ("M", "Manchester"), ("B", "Birmingham"),
    ("BS", "Bristol"), ("L", "Liverpool"), ("S", "Sheffield"), ("NE", "Newcastle"), ("EX", "Exeter"),
    ("PL", "Plymouth"), ("OX", "Oxford"), ("RG", "Reading"), ("LE", "Leicester"), ("NG", "Nottingham"),
    ("DE", "Derby"), ("CV", "Coventry"), ("ST", "Stoke-on-Trent"), ("PR", "Preston"), ("BD", "Bradford"),
    ("HU", "Hull"), ("YO", "York"), ("LN", "Lincoln"), ("PE", "Peterborough"), ("IP", "Ipswich"),
    ("CO", "Colchester"), ("CM", "Chelmsford"), ("ME", "Medway"), ("CT", "Canterbury"), ("BN", "Brighton"),
    ("PO", "Portsmouth"), ("SO", "Southampton"), ("BH", "Bournemouth"), ("GU", "Guildford"),
    ("MK", "Milton Keynes"), ("NN", "Northampton"), ("LU", "Luton"), ("GL", "Gloucester"),
    ("WR", "Worcester"), ("TA", "Taunton"), ("TR", "Truro"), ("CA", "Carlisle"), ("LA", "Lancaster"),
    ("DL", "Darlington"), ("TS", "Middlesbrough"), ("SR", "Sunderland"), ("WF", "Wakefield"),
    ("HD", "Huddersfield"), ("OL", "Oldham"), ("BL", "Bolton"), ("WA", "Warrington"), ("SK", "Stockport"),
    ("CW", "Crewe"), ("FY", "Blackpool"), ("SN", "Swindon"), ("BA", "Bath"), ("SP", "Salisbury"),
    ("HR", "Hereford"), ("TF", "Telford"), ("SY", "Shrewsbury"), ("WV", "Wolverhampton"),
    ("DN", "Doncaster"), ("HG", "Harrogate"), ("CH", "Chester"),
]
PLACES = [
    "Abbey", "Albert", "Beech", "Bridge Street", "Castle", "Church Lane", "Elm", "Fairfield", "Grove",
    "Hawthorn", "High Street", "Kings", "Lakeside", "Linden", "Market", "Meadow", "Mill", "Newtown",
    "Oak", "Orchard", "Park Road", "Priory", "Queens", "Riverside", "St John's", "St Mary's",
    "Station Road", "Victoria", "Westgate", "Willow",
]
PRACTICE_KINDS = ["Medical Centre", "Surgery", "Health Centre", "Medical Practice", "Family Practice"]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward part of UK postcodes

# Trainer groups: (id, title, skills, share of the group delivering on site).
TRAINER_GROUPS = [
    ("bls", "Resuscitation instructor", ["bls"], 0.5),
    ("safeguarding", "Safeguarding lead", ["safeguarding-l3", "safeguarding-l2"], 0.0),
    ("conflict", "Conflict resolution trainer", ["conflict-resolution", "wellbeing"], 0.0),
    ("ig", "Data protection officer", ["information-governance", "ms-teams"], 0.0),
    ("fire", "Fire safety adviser", ["fire-safety"], 0.5),
    ("digital", "Digital skills trainer", ["excel", "ms-teams"], 0.0),
    ("care-navigation", "Care navigation trainer", ["medical-terminology", "active-signposting"], 0.0),
    ("nurse-educator", "Practice nurse educator", ["wound-care", "tissue-viability", "infection-control"], 0.4),
    ("leadership", "Leadership coach", ["leadership", "wellbeing"], 0.0),
    ("cancer", "Cancer GP facilitator", ["cancer-early-diagnosis"], 0.0),
]


def generate_scenario(practices: int, networks: int, seed: int) -> Scenario:
    """A valid synthetic scenario; the same arguments always give an identical one."""
    _check_size(practices, networks)
    rng = random.Random(seed)
    days = _working_days()
    regions = _regions(rng, networks)
    practice_list = _practices(rng, _network_sizes(rng, practices, networks), regions, days)
    return Scenario(
        name=f"Synthetic PLT 2027/28 ({practices} practices, {networks} networks, seed {seed})",
        period=PERIOD,
        calendar=_calendar(),
        roles=_roles(),
        practices=practice_list,
        courses=_courses(),
        trainers=_trainers(rng, practices, days),
        venues=_venues(rng, networks, regions, days),
        cover_providers=_cover_providers(rng, practice_list, days),
        programme=Programme(external_afternoons=3, internal_afternoons=3, wave_window_days=14, max_waves=None),
        demand=_demand(),
        policy=Policy(mandatory="soft"),
    )


def _check_size(practices: int, networks: int) -> None:
    if not 1 <= practices <= MAX_PRACTICES:
        raise ValueError(f"practices = {practices}: give between 1 and {MAX_PRACTICES}")
    if not 1 <= networks <= practices:
        raise ValueError(
            f"networks = {networks}: give between 1 and the number of practices ({practices}); "
            "every network needs at least one practice"
        )


def _calendar() -> CalendarRules:
    return CalendarRules(
        weekdays=WEEKDAYS,
        window=TimeWindow(start=dt.time(13, 0), end=dt.time(18, 30)),
        blocks=[
            Block(id="b1", start=dt.time(13, 30), end=dt.time(15, 0)),
            Block(id="b2", start=dt.time(15, 15), end=dt.time(16, 45)),
            Block(id="b3", start=dt.time(17, 0), end=dt.time(18, 30)),
        ],
        blackouts=[
            # Easter holidays run 29 March to 9 April 2027; the part inside the period.
            Blackout(name="Easter school holidays", start=dt.date(2027, 4, 1), end=dt.date(2027, 4, 9)),
            Blackout(name="February half term", start=dt.date(2028, 2, 14), end=dt.date(2028, 2, 18)),
        ],
        blackout_months=BLACKOUT_MONTHS,
        min_weeks_between=6,
    )


def _roles() -> list[Role]:
    return [
        Role(id="gp", name="GP", clinical=True),
        Role(id="nurse", name="Practice nurse", clinical=True),
        Role(id="hca", name="Healthcare assistant", clinical=True),
        Role(id="pharmacist", name="Clinical pharmacist", clinical=True),
        Role(id="admin", name="Reception and administration", clinical=False),
        Role(id="manager", name="Practice manager", clinical=False),
        Role(id="bank-gp", name="Bank (locum) GP", clinical=True, bank=True),
        Role(id="bank-nurse", name="Bank nurse", clinical=True, bank=True),
    ]


def _course(id_: str, name: str, audience: list[str], max_group: int, **fields: object) -> Course:
    return Course(id=id_, name=name, audience=audience, max_group=max_group, **fields)


def _courses() -> list[Course]:
    f2f, virtual, on_site = Delivery.face_to_face, Delivery.virtual, Delivery.on_site
    return [
        _course("bls", "Basic life support", CLINICAL, 16, min_group=4, delivery=f2f,
                room_features=["clinical_skills"], refresh_months=12, priority=10, blocks=1,
                description="Resuscitation Council adult and paediatric BLS with AED"),
        _course("bls-onsite", "Basic life support for the practice team (on site)", NON_CLINICAL, 30,
                delivery=on_site, skill="bls", refresh_months=12, priority=9,
                description="Non-clinical staff: recognising arrest, calling for help, CPR and the AED"),
        _course("safeguarding-l3", "Safeguarding adults and children, level 3", CLINICAL, 40, min_group=10,
                delivery=f2f, room_features=["av"], refresh_months=36, priority=8),
        _course("safeguarding-l2", "Safeguarding adults and children, level 2", NON_CLINICAL, 100,
                min_group=10, delivery=virtual, refresh_months=36, priority=7),
        _course("conflict-resolution", "Conflict resolution", EVERYONE, 30, min_group=8,
                refresh_months=36, priority=6),
        _course("information-governance", "Information governance and data security", EVERYONE, 150,
                min_group=10, delivery=virtual, refresh_months=12, priority=6),
        _course("fire-safety", "Fire safety", EVERYONE, 150, min_group=10, delivery=virtual,
                refresh_months=12, priority=7),
        _course("fire-safety-onsite", "Fire evacuation drill and fire marshal walk-round", ON_SITE_STAFF, 60,
                delivery=on_site, skill="fire-safety", priority=4),
        _course("infection-control", "Infection prevention and control", CLINICAL, 30, min_group=8,
                refresh_months=12, priority=7, on_site=True),
        _course("excel", "Excel for practice teams", NON_CLINICAL, 16, min_group=4, blocks=2,
                room_features=["computers"], priority=3),
        _course("medical-terminology", "Medical terminology", ["admin"], 30, min_group=8, priority=3),
        _course("active-signposting", "Active signposting and care navigation", ["admin"], 30, min_group=8,
                priority=4),
        _course("ms-teams", "Microsoft Teams", EVERYONE, 100, min_group=10, delivery=virtual, priority=2),
        _course("wellbeing", "Wellbeing in the workplace", EVERYONE, 30, min_group=8, priority=3),
        _course("leadership", "Leadership and management", ["manager", "gp"], 20, min_group=6, blocks=2,
                priority=4),
        _course("wound-care", "Wound care", ["nurse", "hca", "bank-nurse"], 16, min_group=6,
                room_features=["clinical_skills"], priority=5),
        _course("tissue-viability", "Tissue viability", ["nurse", "hca", "bank-nurse"], 20, min_group=6,
                priority=4),
        _course("cancer-early-diagnosis", "Cancer: supporting early diagnosis", ["gp", "nurse", "bank-gp"], 40,
                min_group=10, room_features=["av"], priority=5),
    ]


def _demand() -> Demand:
    shares = [
        ("excel", "admin", 0.2), ("excel", "manager", 0.5), ("leadership", "manager", 0.5),
        ("leadership", "gp", 0.05), ("medical-terminology", "admin", 0.2), ("active-signposting", "admin", 0.25),
        ("wound-care", "nurse", 0.3), ("wound-care", "hca", 0.3), ("tissue-viability", "nurse", 0.2),
        ("cancer-early-diagnosis", "gp", 0.2), ("cancer-early-diagnosis", "nurse", 0.2),
        ("wellbeing", "admin", 0.1), ("fire-safety-onsite", "manager", 1.0), ("fire-safety-onsite", "admin", 0.1),
    ]
    return Demand(development_targets=[DevelopmentTarget(course=c, role=r, share=s) for c, r, s in shares])


def _working_days() -> list[dt.date]:
    """Tuesdays to Thursdays of the period outside the blackout months: where dates bite."""
    numbers = {w.number for w in WEEKDAYS}
    span = (PERIOD.end - PERIOD.start).days + 1
    every = (PERIOD.start + dt.timedelta(days=i) for i in range(span))
    return [d for d in every if d.weekday() in numbers and d.month not in BLACKOUT_MONTHS]


def _some_days(rng: random.Random, days: list[dt.date], most: int) -> list[dt.date]:
    return sorted(rng.sample(days, rng.randint(0, most)))


def _regions(rng: random.Random, networks: int) -> list[tuple[str, str]]:
    """One postcode area and town per group of networks that shares a venue."""
    first = rng.randrange(len(AREAS))
    count = math.ceil(networks / NETWORKS_PER_VENUE)
    return [AREAS[(first + i) % len(AREAS)] for i in range(count)]


def _network_sizes(rng: random.Random, practices: int, networks: int) -> list[int]:
    """Practices per network: at least one each, the rest spread unevenly as PCNs are."""
    sizes = [1] * networks
    weights = [rng.gammavariate(2.0, 1.0) for _ in range(networks)]
    for index in rng.choices(range(networks), weights=weights, k=practices - networks):
        sizes[index] += 1
    return sizes


def _list_size(rng: random.Random) -> int:
    """Log-normal around the median, redrawn until it lies in the realistic range."""
    while True:
        size = round(rng.lognormvariate(math.log(LIST_MEDIAN), LIST_SIGMA))
        if LIST_MIN <= size <= LIST_MAX:
            return size


def _headcount(list_size: int) -> dict[str, int]:
    counts = {role: round(list_size / per) for role, per in PATIENTS_PER_HEAD.items()}
    for role in ("gp", "nurse", "hca"):
        counts[role] = max(1, counts[role])
    counts["manager"] = 1
    return counts


def _postcode(rng: random.Random, area: str, district: int) -> str:
    letters = "".join(rng.choice(INWARD_LETTERS) for _ in range(2))
    return f"{area}{district} {rng.randint(1, 9)}{letters}"


def _cannot_close(rng: random.Random, days: list[dt.date]) -> list[dt.date]:
    """About one practice in twenty has a run of days it cannot close (say, a CQC visit)."""
    if rng.random() >= 0.05:
        return []
    start = rng.randrange(len(days) - 3)
    return days[start:start + rng.randint(1, 3)]


def _practices(
    rng: random.Random, sizes: list[int], regions: list[tuple[str, str]], days: list[dt.date]
) -> list[Practice]:
    total = sum(sizes)
    id_width, net_width = max(4, len(str(total))), max(3, len(str(len(sizes))))
    ods_numbers = rng.sample(range(100_000), total)
    practices: list[Practice] = []
    for n, size in enumerate(sizes):
        network = f"N{n + 1:0{net_width}d}"
        area, town = regions[n // NETWORKS_PER_VENUE]
        district = rng.randint(1, 30)
        for _ in range(size):
            i = len(practices)
            ods = f"Y{ods_numbers[i]:05d}"
            list_size = _list_size(rng)
            practices.append(Practice(
                id=f"P{i + 1:0{id_width}d}",
                ods_code=ods,
                name=f"{rng.choice(PLACES)} {rng.choice(PRACTICE_KINDS)}, {town}",
                network=network,
                postcode=_postcode(rng, area, district + rng.randint(0, 2)),
                list_size=list_size,
                headcount=_headcount(list_size),
                cannot_close=_cannot_close(rng, days),
                contact=f"practice manager, {ods.lower()}.manager@nhs.net",
            ))
    return practices


def _trainers(rng: random.Random, practices: int, days: list[dt.date]) -> list[Trainer]:
    """About one trainer per eight practices in each group, shared by every network."""
    per_group = max(1, round(practices / PRACTICES_PER_TRAINER))
    width = len(str(per_group))
    trainers: list[Trainer] = []
    for group, title, skills, on_site_share in TRAINER_GROUPS:
        for k in range(per_group):
            # The first of a group that delivers on site always does, so on-site courses can run.
            on_site = on_site_share > 0 and (k == 0 or rng.random() < on_site_share)
            trainer_id = f"t-{group}-{k + 1:0{width}d}"
            trainers.append(Trainer(
                id=trainer_id,
                name=f"{title} {k + 1}",
                skills=skills,
                unavailable=_some_days(rng, days, 4),
                max_runs_per_afternoon=rng.randint(2, 3),
                max_afternoons_per_year=rng.randint(3, 6),
                cost_per_run=rng.randrange(150, 401, 10),
                on_site=on_site,
                preferred_weekdays=rng.choice([[], [], [Weekday.tue, Weekday.wed], [Weekday.wed, Weekday.thu]]),
                email=f"{trainer_id}@training.example.nhs.uk",
            ))
    return trainers


def _rooms(rng: random.Random, venue_id: str) -> list[Room]:
    rooms = [
        Room(id=f"{venue_id}-clinical-skills", name="Clinical skills room", capacity=rng.randint(16, 20),
             features=["clinical_skills"], cost_per_afternoon=rng.randrange(150, 230, 10)),
        Room(id=f"{venue_id}-computer-suite", name="Computer suite", capacity=rng.randint(16, 24),
             features=["computers"], cost_per_afternoon=rng.randrange(120, 190, 10)),
    ]
    for k in range(rng.randint(4, 6)):
        capacity = rng.randrange(30, 61, 5)
        rooms.append(Room(id=f"{venue_id}-seminar-{k + 1}", name=f"Seminar room {k + 1}", capacity=capacity,
                          features=["av"], cost_per_afternoon=capacity * rng.randint(2, 4)))
    return rooms


def _venues(
    rng: random.Random, networks: int, regions: list[tuple[str, str]], days: list[dt.date]
) -> list[Venue]:
    """One education centre per region of about ten networks."""
    width = max(2, len(str(len(regions))))
    venues: list[Venue] = []
    for v, (area, town) in enumerate(regions):
        venue_id = f"V{v + 1:0{width}d}"
        venues.append(Venue(
            id=venue_id,
            name=f"{town} education centre",
            address=f"{rng.randint(1, 200)} {rng.choice(PLACES)} Road, {town}",
            postcode=_postcode(rng, area, rng.randint(1, 30)),
            rooms=_rooms(rng, venue_id),
            unavailable=_some_days(rng, days, 2),
        ))
    return venues


def _cover_share(rng: random.Random, practices: int) -> float:
    """Total cover as a share of all patients: all at once when small, several waves when large."""
    if practices <= 30:
        return rng.uniform(1.05, 1.25)
    if practices > 50:
        return rng.uniform(0.4, 0.6)
    return 1.0 - 0.4 * (practices - 30) / 20  # from one wave down to two between 31 and 50


def _cover_providers(rng: random.Random, practices: list[Practice], days: list[dt.date]) -> list[CoverProvider]:
    """About one out-of-hours provider per 150,000 patients; each can take the largest practice."""
    patients = sum(p.list_size for p in practices)
    largest = max(p.list_size for p in practices)
    count = max(1, round(patients / PATIENTS_PER_PROVIDER))
    total = patients * _cover_share(rng, len(practices))
    weights = [rng.uniform(0.7, 1.3) for _ in range(count)]
    width = max(2, len(str(count)))
    providers: list[CoverProvider] = []
    for k, weight in enumerate(weights):
        capacity = max(largest, math.ceil(total * weight / sum(weights) / 1000) * 1000)
        provider_id = f"ooh-{k + 1:0{width}d}"
        providers.append(CoverProvider(
            id=provider_id,
            name=f"Out-of-hours provider {k + 1}",
            capacity=capacity,
            unavailable=_some_days(rng, days, 2),
            cost_per_afternoon=rng.randrange(1000, 2501, 100),
            cost_per_1000_patients=rng.randint(30, 60),
            contact=f"PLT cover desk, 0300 {rng.randint(100, 999)} {rng.randint(1000, 9999)}, "
                    f"plt.cover@{provider_id}.example.nhs.uk",
        ))
    return providers
