"""What the installed package offers its users: its licence."""
import importlib.metadata


def test_distribution_carries_the_bsd_licence():
    metadata = importlib.metadata.metadata("fastscore")
    assert metadata["License-Expression"] == "BSD-3-Clause"
    licences = [f for f in importlib.metadata.files("fastscore") or [] if f.name == "LICENSE"]
    assert len(licences) == 1, licences
    text = licences[0].read_text()
    assert text.startswith("BSD 3-Clause License") and "the fastscore developers" in text
