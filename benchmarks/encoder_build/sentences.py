"""About 200 varied sentences for checking an exported encoder against torch.

Every text stays inside the smaller encoder's window (256 word pieces), so torch,
which cuts at the window, and the ONNX runtime, which splits into windows, see the
same tokens. Written here (not complaint data): registers, lengths, numbers, typos,
capitals, punctuation, other languages and symbols.
"""

from __future__ import annotations

SEEDS = [
    "No call back from the social worker for two weeks.",
    "The CIN meeting was cancelled again without any notice.",
    "She needs an award and if not, I'll buy her a trophy.",
    "Left three voicemails for the SW and nobody rang back.",
    "Thank you so much for everything you did for our family this year.",
    "My son was moved to a placement 80 miles away and we were not told.",
    "The assessment contained factual errors about my income and my address.",
    "I asked for a copy of my records under data protection and waited five months.",
    "The foster carer was wonderful with the children, patient and kind.",
    "Why was the child protection plan closed when nothing had changed?",
    "The report says I refused contact, which is simply untrue.",
    "Staff at the contact centre were rude and the room was filthy.",
    "We waited 14 weeks for the occupational therapy assessment.",
    "Council tax reminder issued on 3 March 2025, reference 889-221-07.",
    "ok",
    "Help!!!",
    "thx",
    "URGENT: nobody has visited since the referral was made.",
    "the worker keeps changing and we have had 5 different social workers in a year",
    "i dont understand why my daughter cant see her nan anymore its not fair",
    "Je voudrais déposer une plainte concernant le service.",
    "Quiero agradecer al equipo por su ayuda.",
    "Dziękuję za pomoc w tej trudnej sytuacji.",
    "The leaving care team helped me find a flat and sort out my benefits 👍",
    "Email sent 09:42, no reply by 17:00; chased again the next day.",
    "A compliment for the duty team, who stayed late to make sure we were safe.",
    "The interpreter did not turn up, so the meeting went ahead in English only.",
    "Direct payments stopped without warning and the carer went unpaid.",
    "The Local Government and Social Care Ombudsman found fault causing injustice.",
    "Respite care was reduced from two nights a month to one.",
    "The stage 2 investigation upheld three of my five complaints.",
    "Nobody explained the section 20 agreement to me before I signed it.",
    "My EHCP review is overdue and school transport was withdrawn.",
    "The family support worker was brilliant, she really listened.",
    "Records were shared with my ex-partner without my consent.",
    "Sorry for the delay in replying to your letter of 12 June.",
    "Please note the change of address for all future correspondence.",
    "The weather was cold and the bus was late.",
    "Python 3.11 released; numpy arrays are float32 by default here.",
    "THE SOCIAL WORKER NEVER TURNED UP TO THE HOME VISIT",
]

CONNECTIVES = [
    " Also, ",
    " On top of that, ",
    " However, ",
    " Then ",
    " In addition, ",
]


def check_sentences(n: int = 200) -> list[str]:
    """``n`` deterministic varied texts: the seeds, then pairs, triples and longer runs."""
    texts = list(SEEDS)
    k = len(SEEDS)
    i = 0
    while len(texts) < n:
        size = 2 + i % 6  # 2 to 7 seeds joined: up to about 120 words
        parts = [SEEDS[(i * 7 + j * 11) % k] for j in range(size)]
        text = parts[0]
        for j, part in enumerate(parts[1:]):
            text += CONNECTIVES[(i + j) % len(CONNECTIVES)] + part[0].lower() + part[1:]
        texts.append(text)
        i += 1
    return texts[:n]
