from baton.verifiers.task_scoring import match_claims, score_tasks


def test_gold_claims_match_by_content_coverage():
    product = ["Barack Obama was born in Honolulu in 1961.", "He was the 44th president."]
    assert match_claims(["Obama was born in Honolulu.", "Cats purr."], product) == [0, None]


def test_score_tasks_on_known_outcomes():
    outcomes = [
        {  # hallucinated, caught
            "gold": {
                "claims": [
                    {"text": "Obama was born in Honolulu.", "label": "supported"},
                    {"text": "Obama was born in 1970.", "label": "contradicted"},
                ],
                "response_label": "hallucinated",
            },
            "claims": ["Barack Obama was born in Honolulu.", "Barack Obama was born in 1970."],
            "labels": ["supported", "contradicted"],
            "status": "waiting_review",
        },
        {  # faithful, wrongly flagged
            "gold": {
                "claims": [{"text": "Paris is the capital of France.", "label": "supported"}],
                "response_label": "faithful",
            },
            "claims": ["Paris is the capital of France."],
            "labels": ["unsupported"],
            "status": "finished",
        },
    ]
    out = score_tasks(outcomes)
    assert out["tasks"] == 2 and out["status_counts"] == {"waiting_review": 1, "finished": 1}
    assert out["claim_level"]["n"] == 3 and out["claim_level"]["matched"] == 3
    # supported recall 1/2, not-supported recall 1/1
    assert out["claim_level"]["balanced_accuracy"] == 0.75
    rl = out["response_level"]
    assert rl["precision"] == 0.5 and rl["recall"] == 1.0 and rl["balanced_accuracy"] == 0.5
