#!/usr/bin/env python3
"""Writes examples/data/story-prefs.jsonl: TinyStories-style preference pairs for the demo head.

chosen is a plain sentence; rejected is the same words in shuffled order. A head fitted on
these learns 'fluent story text' from the frozen stories260K hidden states. Deterministic
(seed 7); run from the repository root."""
import json, random

random.seed(7)
names = ["Lily", "Tom", "Ben", "Sue", "Max", "Anna", "Tim", "Mia"]
things = ["ball", "dog", "cat", "kite", "toy", "box", "car", "cake", "hat", "boat"]
adjs = ["big", "red", "little", "happy", "soft", "shiny", "blue", "funny"]
places = ["park", "garden", "house", "forest", "beach", "school"]
prompts = ["Once upon a time, there was a little girl named Lily.", "One day, Tom went to the park.",
           "Ben had a big red ball.", "The sun was shining and the birds were singing.",
           "Mia wanted to play outside.", "There was a small dog named Max."]
patterns = ["{n} saw a {a} {t} in the {p}.", "{n} wanted to play with the {a} {t}.", "{n} was very happy and smiled.",
            "They played in the {p} all day.", "{n} found a {a} {t} under the tree.", "{n} and {m} went to the {p} together.",
            "The {t} was {a} and {n} liked it.", "{n} said, \"I love my {a} {t}!\""]

def sentence():
    n, m = random.sample(names, 2)
    return random.choice(patterns).format(n=n, m=m, t=random.choice(things), a=random.choice(adjs), p=random.choice(places))

with open("examples/data/story-prefs.jsonl", "w") as f:
    for i in range(240):
        good = sentence()
        words = good.rstrip(".!\"").split()
        while True:
            random.shuffle(words)
            bad = " ".join(words) + "."
            if bad != good:
                break
        f.write(json.dumps({"prompt": random.choice(prompts), "chosen": " " + good, "rejected": " " + bad}) + "\n")
