#!/usr/bin/env python3
"""Generate the CheckList-style behavioural test suite for the sentiment model.

Writes tests/behaviour/sentiment.jsonl: labelled cases grouped by capability,
built from templates x word lists (sampled with a fixed seed) plus
hand-written sentences.  Deterministic: the same input gives a byte-identical
file.  Standard library only.

Run from the repository root:

    /usr/bin/python3 tests/behaviour/make_suite.py

Format: one JSON object per line, keys in this order:
    "id"          unique, "<capability>-NNN"
    "capability"  short | negation | contrast | intensity | domains |
                  invariance | neutral
    "text"        the input
    "label"       "POSITIVE" | "NEGATIVE" | "NEUTRAL"
                  (NEUTRAL passes when 0.35 <= P(POSITIVE) <= 0.65)
    "same_as"     invariance cases only: the unperturbed original, which is
                  itself a clear case with the same label; the prediction for
                  "text" must match the prediction for "same_as".
Lines are sorted by capability (in the order above), then text.  The script
fails on a repeated id or text, a mislabelled required case, or a
capability that is badly unbalanced.  A text appears at most once in the
whole suite.
"""

import itertools
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

SEED = 20200705
OUT = Path(__file__).resolve().parent / "sentiment.jsonl"
CAPABILITIES = ["short", "negation", "contrast", "intensity", "domains",
                "invariance", "neutral"]
P, N, U = "POSITIVE", "NEGATIVE", "NEUTRAL"

rng = random.Random(SEED)
cases = []  # dicts without ids


def add(cap, text, label, same_as=None):
    case = {"capability": cap, "text": text, "label": label}
    if same_as is not None:
        case["same_as"] = same_as
    cases.append(case)


def sample(texts, k, exclude=()):
    """k distinct texts from a list, in a fixed pseudo-random order."""
    pool = sorted(set(texts) - set(exclude))
    if k > len(pool):
        sys.exit(f"sample: asked for {k} of {len(pool)}")
    return rng.sample(pool, k)


def fill(templates, **lists):
    """Every filling of every template with the named word lists."""
    out = []
    for t in templates:
        names = sorted(set(re.findall(r"{(\w+)}", t)))
        for combo in itertools.product(*(lists[n] for n in names)):
            out.append(t.format(**dict(zip(names, combo))))
    return out


def cap1(s):
    return s[0].upper() + s[1:]


# --------------------------------------------------------------------- short
SHORT_HAND = {
    P: ["Five stars.", "Best film of the year.", "It was amazing.",
        "Loved it.", "Highly recommended.", "A masterpiece.",
        "Absolutely wonderful.", "Ten out of ten.", "What a great movie!",
        "I loved every minute.", "Best purchase ever.", "Brilliant.",
        "So good.", "Pure joy.", "A must-see."],
    N: ["One star.", "Worst purchase ever.", "I hate it",
        "I hate this movie.", "Total garbage.", "Awful.",
        "Worst movie ever.", "A complete waste of time.", "Do not buy.",
        "Zero stars if I could.", "Boring.", "What a terrible film.",
        "I regret buying this.", "Avoid at all costs.", "So disappointing."],
}
SHORT_NOUNS = ["movie", "film", "show", "series", "book", "album", "phone",
               "laptop", "restaurant", "hotel", "game", "app", "camera"]
MEDIA_NOUNS = ["movie", "film", "show", "series", "book", "album"]
SHORT_VERBS = {P: ["love", "adore", "really like", "absolutely love"],
               N: ["hate", "loathe", "can't stand", "despise", "detest",
                   "really dislike"]}
MEDIA_VERBS = {P: ["enjoyed", "loved"], N: ["hated"]}
SHORT_ADJ = {P: ["Great", "Wonderful", "Excellent", "Fantastic", "Brilliant",
                 "Superb", "Amazing", "Outstanding", "Terrific"],
             N: ["Terrible", "Awful", "Horrible", "Dreadful", "Lousy",
                 "Appalling", "Atrocious", "Abysmal"]}
ADJ_NOUNS = ["movie", "film", "show", "book", "phone", "restaurant", "hotel",
             "service", "product", "album", "app"]

for lab in (P, N):
    for t in SHORT_HAND[lab]:
        add("short", t, lab)
    verb_texts = (fill(["I {v} this {n}."], v=SHORT_VERBS[lab], n=SHORT_NOUNS)
                  + fill(["I {v} this {n}."], v=MEDIA_VERBS[lab],
                         n=MEDIA_NOUNS))
    for t in sample(verb_texts, 25, exclude=SHORT_HAND[lab]):
        add("short", t, lab)
    for t in sample(fill(["{a} {n}."], a=SHORT_ADJ[lab], n=ADJ_NOUNS), 22):
        add("short", t, lab)

# ------------------------------------------------------------------ negation
NEG_HAND = {
    N: ["I don't like it.", "Not worth the price at all.", "Not good.",
        "I would not recommend it.", "Nothing special.",
        "I can't say I enjoyed it.", "Hardly a masterpiece.",
        "It was not funny at all.", "Not worth watching.",
        "I did not enjoy a single minute of it.", "This is not a good movie.",
        "Never again.", "I was not impressed.", "Not recommended.",
        "I didn't like it at all.", "There is nothing good about this film.",
        "It doesn't live up to the hype.", "I couldn't finish it.",
        "I could not wait for it to end.", "None of the jokes landed.",
        "Not even the actors could save this mess.",
        "I have never been so bored in a cinema.",
        "Nobody should waste money on this.", "It does not work."],
    P: ["Not bad at all.", "I didn't hate it, I loved it.",
        "Never disappointing.", "I was not disappointed.",
        "No complaints at all.", "Not a single dull moment.",
        "I can't recommend it enough.", "I couldn't put it down.",
        "You won't regret it.", "It never gets old.",
        "I couldn't be happier with it.", "It did not disappoint.",
        "It wasn't boring for a second.",
        "I have never laughed so hard at a movie.",
        "I could not stop smiling.",
        "There is not one weak performance in the film.",
        "I can't wait to watch it again.", "Not only funny but also moving.",
        "I don't think I have ever enjoyed a film more.",
        "It never fails to make me laugh.", "I wouldn't change a thing.",
        "It was not bad at all, I really enjoyed it.",
        "Nothing about it disappointed me.", "I never once felt bored."],
}
NEG_NOUNS = ["movie", "film", "show", "book", "phone", "laptop",
             "restaurant", "hotel"]
NEG_TEMPLATES = {
    N: ["This {n} is not good.", "This {n} is not worth it.",
        "This {n} is not any good.", "I don't like this {n}.",
        "I would not recommend this {n}.", "I didn't enjoy this {n}.",
        "This {n} is nothing special."],
    P: ["I was not disappointed by this {n}.",
        "I have no complaints about this {n}.",
        "I can't recommend this {n} enough.",
        "I couldn't be happier with this {n}."],
}
for lab in (P, N):
    for t in NEG_HAND[lab]:
        add("negation", t, lab)
    for t in sample(fill(NEG_TEMPLATES[lab], n=NEG_NOUNS), 20):
        add("negation", t, lab)

# ------------------------------------------------------------------ contrast
# A mild local remark of one polarity, then a global verdict of the other:
# the verdict decides the label.
LOCAL = {P: ["the acting was decent", "the soundtrack was lovely",
             "the cinematography was beautiful",
             "the opening scene was promising", "the lead actor tried his best",
             "the costumes looked great", "a few jokes were funny"],
         N: ["it started slowly", "the plot has a few holes",
             "the effects look a bit dated", "a couple of scenes drag",
             "the first act is confusing", "the ending feels a little rushed",
             "it is rather long"]}
LOCAL_NP = {P: ["the great cast", "the beautiful soundtrack",
                "the stunning visuals", "a promising opening",
                "some funny jokes"],
            N: ["a slow start", "a few plot holes", "some dated effects",
                "a rushed ending", "its long running time"]}
VERDICT = {P: ["overall it is a fantastic movie", "I ended up loving it",
               "it is a wonderful film", "I would happily watch it again",
               "I enjoyed it very much", "it is one of the best films this year"],
           N: ["overall it was a waste of time", "I ended up hating it",
               "the film as a whole is a mess", "I would not watch it again",
               "it was a huge disappointment", "the movie itself is dreadful"]}
CONTRAST_HAND = {
    N: ["The actors were fine, but the plot was a mess.",
        "The cast is great. However, the film itself is a boring mess.",
        "I wanted to like it, but it was dreadful.",
        "The trailer looked amazing, but the movie was a huge letdown.",
        "Everyone told me it was great, but I found it dull and pointless."],
    P: ["It started slowly, but the ending was wonderful.",
        "The reviews were terrible, but I loved it.",
        "I expected to hate it, but it turned out to be wonderful.",
        "The seats were uncomfortable, but the show was fantastic.",
        "It is a little long, yet I enjoyed every minute."],
}
for lab, other in ((P, N), (N, P)):
    for t in CONTRAST_HAND[lab]:
        add("contrast", t, lab)
    buts = [f"{cap1(l)}, but {v}." for l in LOCAL[other] for v in VERDICT[lab]]
    althoughs = [f"Although {l}, {v}." for l in LOCAL[other]
                 for v in VERDICT[lab]]
    despites = [f"Despite {np}, {v}." for np in LOCAL_NP[other]
                for v in VERDICT[lab]]
    for t in sample(buts, 8) + sample(althoughs, 7) + sample(despites, 7):
        add("contrast", t, lab)

# ----------------------------------------------------------------- intensity
INTENSITY = {
    P: {"strong": ["absolutely brilliant", "truly wonderful",
                   "utterly fantastic", "incredibly good", "simply superb",
                   "extremely enjoyable"],
        "mild": ["pretty good", "quite enjoyable", "fairly good",
                 "rather nice", "reasonably good"]},
    N: {"strong": ["absolutely awful", "utterly dreadful",
                   "completely terrible", "incredibly boring",
                   "truly horrible", "painfully bad"],
        "mild": ["a bit disappointing", "somewhat boring", "slightly dull",
                 "a little tedious", "rather weak"]},
}
INTENSITY_NOUNS = ["movie", "film", "show", "book", "concert", "game"]
INTENSITY_HAND = {
    P: ["It was okay, pretty good actually.",
        "Slightly better than I expected.",
        "Good, not great, but I liked it.",
        "One of the best films I have ever seen.",
        "A nice little film."],
    N: ["A bit disappointing overall.",
        "The worst film I have ever seen, by far.",
        "Mildly annoying and a bit too long.",
        "Quite a letdown.",
        "A little dull in places, and I lost interest."],
}
for lab in (P, N):
    for t in INTENSITY_HAND[lab]:
        add("intensity", t, lab)
    for strength in ("strong", "mild"):
        texts = fill(["The {n} was {x}."], n=INTENSITY_NOUNS,
                     x=INTENSITY[lab][strength])
        for t in sample(texts, 9):
            add("intensity", t, lab)

# ------------------------------------------------------------------- domains
# Hand-written everyday reviews, not about movies: products, restaurants,
# hotels/travel, customer service, apps, delivery, other services.
DOMAINS = {
    P: [
        # products
        "The battery easily lasts two full days.",
        "Sturdy, light, and the screen is gorgeous.",
        "Best headphones I have ever owned.",
        "The blender crushes ice in seconds, very happy with it.",
        "Fits perfectly and the fabric feels great.",
        "Setup took five minutes and it has worked flawlessly since.",
        "I have used this kettle every day for a year and it still works "
        "like new.",
        "Great value for the price.",
        "My kids love this tablet.",
        "The vacuum picks up everything, even dog hair.",
        "Comfortable shoes, I wore them all day without any pain.",
        "The camera takes stunning photos even at night.",
        "Still going strong after three years of daily use.",
        "The instructions were clear and assembly was a breeze.",
        # restaurants
        "Our waiter was friendly and the pasta was perfect.",
        "The best tacos in town, hands down.",
        "Lovely atmosphere and the desserts were to die for.",
        "We will definitely be back for the brunch.",
        "Fresh ingredients, generous portions and fair prices.",
        "The chef came out to say hello and the steak was cooked exactly "
        "right.",
        "Cozy little place with excellent coffee.",
        "Every dish we ordered was delicious.",
        # hotels and travel
        "Would definitely stay here again.",
        "The room was spotless and the bed was very comfortable.",
        "Amazing view from the balcony and the staff were so helpful.",
        "The flight left on time and the crew were lovely.",
        "Great location, just a short walk from the beach.",
        "Check-in was quick and they upgraded us for free.",
        "The tour guide was knowledgeable and funny, a highlight of our "
        "trip.",
        "Breakfast was excellent, with plenty of choice.",
        # customer service
        "The support agent solved my problem in ten minutes.",
        "They replaced the faulty part at no cost, excellent service.",
        "Customer service was polite, patient and really helpful.",
        "They refunded me the same day without any hassle.",
        "I called with a question and got a clear answer right away.",
        "Five minutes after I reported the bug, they had already fixed it.",
        # apps
        "This app is simple, fast and does exactly what I need.",
        "The new update made everything much smoother.",
        "Easily the most useful app on my phone.",
        "Clean design, no ads, and it syncs perfectly across devices.",
        "I finally stuck to a budget thanks to this app.",
        # delivery
        "The package arrived a day early and was well packed.",
        "Fast delivery and the driver was very courteous.",
        "Ordered on Monday, it was at my door on Tuesday.",
        "Everything arrived in perfect condition.",
        "The food was still hot when it arrived.",
        # other
        "Excellent quality, I would buy it again.",
        "Highly recommend this seller.",
        "Worth every penny.",
        "The gym is clean and the trainers are great.",
        "The hairdresser listened to exactly what I wanted, I love my new "
        "haircut.",
        "The mechanic fixed my car quickly and charged less than quoted.",
        "Our kids had a fantastic time at the water park.",
    ],
    N: [
        # products
        "The battery died after two days.",
        "It broke after one use.",
        "The screen cracked the first week.",
        "Cheap plastic that feels like it will snap any second.",
        "Stopped charging after a month.",
        "The zipper fell off the first time I used the bag.",
        "Way too small, nothing like the photos.",
        "The headphones hurt my ears after ten minutes.",
        "It smells like chemicals and the smell won't go away.",
        "The printer jams on every other page.",
        "Half the pieces were missing from the box.",
        "The paint started peeling within a week.",
        "The lid leaks every time.",
        "After three washes the shirt had shrunk two sizes.",
        # restaurants
        "We waited an hour for cold food.",
        "The soup was salty and the bread was stale.",
        "Our waiter ignored us for twenty minutes.",
        "Overpriced and bland.",
        "I found a hair in my salad.",
        "The chicken was undercooked and I was sick all night.",
        "Tiny portions and rude staff.",
        "They got our order wrong twice.",
        # hotels and travel
        "The room smelled of smoke and the sheets were stained.",
        "Never staying here again.",
        "The air conditioning did not work and nobody came to fix it.",
        "Our flight was delayed six hours with no explanation.",
        "The pool was closed for our entire stay.",
        "Paper-thin walls, we heard the neighbours all night.",
        "The hotel looked nothing like the pictures online.",
        "They lost our luggage and never called back.",
        # customer service
        "I was on hold for forty minutes and then got disconnected.",
        "Customer service was rude and unhelpful.",
        "Still waiting for my refund after two months.",
        "Nobody answers the phone or replies to emails.",
        "They kept transferring me to different departments and nothing "
        "got solved.",
        "Worst customer experience I have ever had.",
        # apps
        "The app crashes every time I open it.",
        "Since the last update I can't log in at all.",
        "Full of ads and constantly asks for money.",
        "It drains my battery in a few hours.",
        "Deleted it after a day, what a waste.",
        # delivery
        "The package was left in the rain and everything inside was "
        "soaked.",
        "My order never arrived.",
        "The driver threw the box over the fence.",
        "The food arrived cold and an hour late.",
        "Tracking said delivered, but there was nothing at my door.",
        "Shipping took three weeks and the box arrived crushed.",
        # other
        "Complete waste of money.",
        "Do not buy from this seller.",
        "Returned it the next day.",
        "The gym was dirty and half the machines were broken.",
        "The mechanic charged me twice the quote and the noise is still "
        "there.",
        "The instructions made no sense and two screws were missing.",
    ],
}
for lab in (P, N):
    for t in DOMAINS[lab]:
        add("domains", t, lab)

# ---------------------------------------------------------------- invariance
# Clear originals: (text, label, neutral sentences for its topic,
# (a neutral word in it, a typo of that word)).
NEUTRAL_SENTENCES = {
    "movie": ["I watched it on Sunday.", "I saw it with my sister."],
    "phone": ["My brother bought it for me.", "I have had it since March."],
    "restaurant": ["We went there on Friday night.",
                   "We ordered the set menu."],
    "hotel": ["We stayed there for three nights.", "We booked it online."],
}
ORIGINALS = [
    ("I loved this movie, it was wonderful.", P, "movie", ("movie", "moive")),
    ("The acting was brilliant and the story was moving.", P, "movie",
     ("story", "stroy")),
    ("This phone is fantastic and the battery lasts forever.", P, "phone",
     ("phone", "phnoe")),
    ("The food was delicious and the staff were lovely.", P, "restaurant",
     ("staff", "staf")),
    ("A beautiful film that I would happily watch again.", P, "movie",
     ("film", "flim")),
    ("Great hotel, friendly staff and a spotless room.", P, "hotel",
     ("hotel", "hotle")),
    ("I hated this movie, it was boring.", N, "movie", ("movie", "movei")),
    ("The acting was awful and the story made no sense.", N, "movie",
     ("story", "sotry")),
    ("This phone is terrible and the battery dies in an hour.", N, "phone",
     ("battery", "batery")),
    ("The food was cold and the staff were rude.", N, "restaurant",
     ("food", "fod")),
    ("A dull film that I would never watch again.", N, "movie",
     ("film", "fillm")),
    ("Awful hotel, rude staff and a filthy room.", N, "hotel",
     ("room", "rooom")),
]
for i, (orig, lab, topic, (word, typo)) in enumerate(ORIGINALS):
    add("invariance", orig[:-1] + "!", lab, orig)             # punctuation
    add("invariance", orig.upper(), lab, orig)                # ALL CAPS
    if i % 2 == 0:
        add("invariance", orig.lower(), lab, orig)            # lower case
    typoed = re.sub(rf"\b{word}\b", typo, orig, count=1)      # typo
    assert typoed != orig, orig
    add("invariance", typoed, lab, orig)
    extra = NEUTRAL_SENTENCES[topic][i % 2]                   # neutral add-on
    add("invariance", f"{extra} {orig}" if i % 2 == 0 else f"{orig} {extra}",
        lab, orig)

# Swaps of names, places, numbers and titles: the first filler gives the
# original, each of the others a perturbed case.
SWAPS = [
    ({P: "{x} gave a brilliant performance in this film.",
      N: "{x} gave a terrible performance in this film."},
     ["Emma", "Raj", "Carlos", "Mei", "Olga"]),
    ({P: "My friend {x} recommended it and I loved it.",
      N: "My friend {x} recommended it and I hated it."},
     ["Tom", "Aisha", "Kenji", "Fatima"]),
    ({P: "We had the best meal of our trip in {x}.",
      N: "We had the worst meal of our trip in {x}."},
     ["Paris", "Lisbon", "Chicago", "Nairobi"]),
    ({P: "I paid {x} dollars for it and it was worth every cent.",
      N: "I paid {x} dollars for it and it broke within a week."},
     ["50", "20", "120", "35"]),
    ({P: "We stayed {x} nights and loved every moment.",
      N: "We stayed {x} nights and hated every moment."},
     ["3", "2", "5", "7"]),
    ({P: "{x} is a wonderful film.", N: "{x} is a dreadful film."},
     ["The Long Road", "Blue Harbor", "Midnight Train", "The Quiet Valley"]),
    ({P: "I love my new {x}, it works perfectly.",
      N: "My new {x} stopped working after a week."},
     ["Zephyr 5", "Orion Pro", "Atlas Mini"]),
]
for templates, fillers in SWAPS:
    for lab in (P, N):
        orig = templates[lab].format(x=fillers[0])
        for f in fillers[1:]:
            add("invariance", templates[lab].format(x=f), lab, orig)

# ------------------------------------------------------------------- neutral
NEUTRAL = [
    "", " ", "\t\n", "...", "?", "!!!", "-",
    "The movie is 120 minutes long.", "I watched it yesterday.",
    "This is a review.", "The package arrived on Tuesday.",
    "The film was released in 2019.", "The book has 300 pages.",
    "The phone comes in black and white.", "The hotel is on Main Street.",
    "I bought it last week.", "The restaurant opens at noon.",
    "The box contains a charger and a cable.",
    "The app is available on Android.", "The show has three seasons.",
    "The screen is six inches wide.",
]
for t in NEUTRAL:
    add("neutral", t, U)

# -------------------------------------------------------------------- checks
REQUIRED = [("I hate this movie.", N, "short"), ("I hate it", N, "short"),
            ("I don't like it.", N, "negation"), ("One star.", N, "short"),
            ("Not bad at all.", P, "negation"),
            ("Not worth the price at all.", N, "negation"),
            ("", U, "neutral")]


def check(cases):
    errors = []
    seen = {}
    texts = set()
    for c in cases:
        key = (c["capability"], c["text"])
        if key in seen or c["text"] in texts:
            errors.append(f"duplicate text ({key[0]}): {key[1]!r}")
        seen[key] = c["label"]
        texts.add(c["text"])
        if c["capability"] not in CAPABILITIES:
            errors.append(f"unknown capability {c['capability']!r}")
        if (c["label"] == U) != (c["capability"] == "neutral"):
            errors.append(f"NEUTRAL only in neutral: {c['text']!r}")
        if not c["text"].isascii():
            errors.append(f"non-ASCII text: {c['text']!r}")
        if "same_as" in c and c["same_as"] == c["text"]:
            errors.append(f"same_as equals text: {c['text']!r}")
        if ("same_as" in c) != (c["capability"] == "invariance"):
            errors.append(f"same_as only on invariance: {c['text']!r}")
    originals = {o[0]: o[1] for o in ORIGINALS}
    for templates, fillers in SWAPS:
        for lab in (P, N):
            originals[templates[lab].format(x=fillers[0])] = lab
    for c in cases:
        if "same_as" in c and originals.get(c["same_as"]) != c["label"]:
            errors.append(f"same_as not a clear original: {c['same_as']!r}")
    for text, lab, cap in REQUIRED:
        if seen.get((cap, text)) != lab:
            errors.append(f"required case missing: {cap} {text!r} {lab}")
    ids = [c["id"] for c in cases]
    if len(ids) != len(set(ids)):
        errors.append("duplicate id")
    for cap in CAPABILITIES[:-1]:
        n = Counter(c["label"] for c in cases if c["capability"] == cap)
        if abs(n[P] - n[N]) > max(2, (n[P] + n[N]) // 10):
            errors.append(f"{cap} unbalanced: {n[P]} vs {n[N]}")
    if len(cases) < 400:
        errors.append(f"only {len(cases)} cases")
    if errors:
        sys.exit("make_suite.py: " + "\n  ".join(["errors:"] + errors))


order = {c: i for i, c in enumerate(CAPABILITIES)}
cases.sort(key=lambda c: (order[c["capability"]], c["text"], c["label"]))
counters = Counter()
for c in cases:
    counters[c["capability"]] += 1
    c_id = f"{c['capability']}-{counters[c['capability']]:03d}"
    c_items = list(c.items())
    c.clear()
    c.update([("id", c_id)] + c_items)
check(cases)

with open(OUT, "w", encoding="utf-8", newline="\n") as f:
    for c in cases:
        f.write(json.dumps(c, ensure_ascii=True) + "\n")

print(f"wrote {len(cases)} cases to {OUT.name}")
print(f"{'capability':<12} {'total':>5} {'POS':>5} {'NEG':>5} {'NEU':>5}")
for cap in CAPABILITIES:
    n = Counter(c["label"] for c in cases if c["capability"] == cap)
    print(f"{cap:<12} {sum(n.values()):>5} {n[P]:>5} {n[N]:>5} {n[U]:>5}")
n = Counter(c["label"] for c in cases)
print(f"{'all':<12} {len(cases):>5} {n[P]:>5} {n[N]:>5} {n[U]:>5}")
