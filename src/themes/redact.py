"""Redaction: personal data taken out of complaint text before it leaves the complaints team.

Personal details are replaced by typed placeholders ([NAME], [PHONE], [EMAIL],
[ADDRESS], [POSTCODE], [DATE_OF_BIRTH], [NHS_NUMBER], [NI_NUMBER], [CASE_REF]);
every other character is kept exactly, so the text still reads and still tags
the same.

Two kinds of evidence are combined:

* Formats (phone numbers, e-mails, postcodes, NHS and NI numbers, dates of birth,
  house-number-and-street addresses, case references) are matched with regular
  expressions on the characters, because spaCy's tokeniser splits them in
  different places depending on spacing ("07700 900123" vs "(01632) 960118").
* Names are found on spaCy tokens with a ``Matcher``: a capitalised word after a
  title ("Mrs Adams"), a role ("social worker Karen Blake", "SW Karen"), a family
  word ("my son Josh"), a greeting or sign-off ("Dear Anita", "Thanks, Leanne"),
  before an age or date of birth ("Esme (13)"); plus a list of first names, lines
  that look like a letter's signature, names joined by "and", and every other
  occurrence of a name already found. A statistical spaCy model adds its PERSON
  entities when one is named; the rules work with ``spacy.blank("en")`` alone.

Precision matters as much as recall: role words, team and service names, the
council's name, months, "Mum", "Dad" and ordinary capitalised words stay, so the
text keeps its meaning for tagging and for the annual report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
from spacy.lang.en.stop_words import STOP_WORDS as SPACY_STOP_WORDS

from themes.errors import ThemesError, missing_column
from themes.io import Table, TableWriter, cell_text, check_output_path

if TYPE_CHECKING:
    from themes.dataset import Columns
    from themes.model import ThemesModel

TYPES: tuple[str, ...] = (
    "NAME",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "POSTCODE",
    "DATE_OF_BIRTH",
    "NHS_NUMBER",
    "NI_NUMBER",
    "CASE_REF",
)
DEFAULT_CHUNK_ROWS = 2000


class RedactionError(ThemesError):
    """Redaction options are wrong (an unknown type of personal data, for example)."""


class SpacyModelError(RedactionError):
    """The spaCy model named for redaction is not installed or cannot find names."""


class Span(NamedTuple):
    """A piece of personal data: characters ``start:end`` of the text, and its type."""

    start: int
    end: int
    type: str


def placeholder(kind: str) -> str:
    """The text that replaces a span of this type, e.g. "[PHONE]"."""
    return f"[{kind}]"


# ---------------------------------------------------------------------------
# Vocabulary. Everything is lower case; looked up with token.lower_.
# ---------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TITLES = _words(
    """mr mrs ms miss mx dr prof professor rev revd reverend sir sirs dame mr. mrs. ms. dr.
    prof. rev. mstr master rt rt. hon hon. cllr"""
)
# Words for a job or office that are followed by the holder's name: "SW Karen",
# "social worker Karen Blake", "PC Okafor", "Judge Whitfield".
ROLE_WORDS = _words(
    """worker sw csw ssw iro pa fsw tm manager officer advocate solicitor barrister
    teacher headteacher nurse hv visitor midwife gp doctor consultant paediatrician
    psychologist psychiatrist therapist counsellor practitioner adviser advisor assistant
    coordinator co-ordinator supervisor mentor chair chairperson investigator guardian
    carer keyworker senco dsl lead cllr councillor pc dc ds di dci sgt sergeant inspector
    constable judge hhj magistrate recorder receptionist interpreter caseworker director
    head carers parents grandparents adopters guardians"""
)
# Family and relationship words followed by a name: "my son Josh", "dad Lee".
FAMILY_WORDS = _words(
    """son sons daughter daughters child children kids grandson grandsons granddaughter
    granddaughters grandchild grandchildren nephew nephews niece nieces brother brothers
    sister sisters cousin cousins dad mum mam mom father mother stepdad stepmum stepfather
    stepmother partner husband wife ex boyfriend girlfriend fiance fiancé fiancee fiancée
    auntie aunty aunt uncle nan nana nanny gran granny grandma grandmother grandad granddad
    grandpa grandfather baby stepson stepdaughter twin twins sibling siblings friend
    neighbour boy girl lad toddler youngest eldest oldest"""
)
# Sign-offs after which the writer's name follows: "Thanks, Leanne", "Regards\nGemma Oduya".
# Words after a surname that make it a family's name: "the Mensah children".
HOUSEHOLD_WORDS = _words(
    """family families children boys girls siblings household twins case matter brothers
    sisters kids"""
)
# Words that describe a person after a comma: "Marguerite Achebe, our SSW".
APPOSITION_WORDS = (ROLE_WORDS - {"head", "lead", "chair", "director"}) | _words(
    """mum mother dad father nan grandmother grandfather grandma grandad aunt auntie uncle
    sister brother son daughter partner husband wife carer carers guardian"""
)
CLOSINGS = _words(
    """thanks regards faithfully sincerely wishes love cheers respectfully truly signed
    thx ta"""
)
GREETINGS = _words("dear hi hello hiya hey")
# Form fields that hold a person's name: "Child: Harvey Lomax", "Caller: Mr Kovacs".
NAME_FIELDS = _words(
    """name child complainant caller client parent mother father carer contact applicant
    patient pupil student"""
)
CALLED_NOUNS = _words(
    """lady man woman gentleman guy girl boy worker someone somebody person manager officer
    chap bloke fella one"""
)
MONTHS = _words(
    """january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec"""
)
DAYS = _words(
    """monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur
    thurs fri sat sun"""
)
# Capitalised words in this register that are never a person's name here: teams,
# services, procedures, documents, institutions, the council, festivals, greetings.
DOMAIN_WORDS = _words(
    """brackenford council councils team teams service services social care children
    child's children's need needs protection duty assessment assessments fostering
    adoption adopters disabled disability emergency family families early help leaving
    leavers front door independent reviewing officer personal young person people parent
    parents foster residential home homes unit health mental education housing benefit
    universal credit department office complaints complaint compliment compliments
    feedback comment comments ombudsman lgsco ofsted camhs nhs cafcass nyas barnardo's
    nspcc police court courts school schools nursery college academy university hospital
    surgery practice clinic centre center trust partnership project group hub panel
    conference conferences review reviews meeting meetings plan plans report reports
    referral referrals visit visits contact contacts letter letters email emails e-mail
    call calls response responses update updates stage section year years term week
    weeks weekend month months day days today yesterday tomorrow tonight morning
    afternoon evening night christmas easter eid ramadan diwali hanukkah new bank holiday
    holidays half english british welsh scottish irish polish romanian muslim christian
    jewish hindu sikh black white asian mixed god lord ok okay please sorry yes nobody
    everyone everybody someone somebody anyone anybody thank thanks thankyou regards
    yours sincerely faithfully best kind warm many love cheers hi hello dear sir madam
    note notes form card text message phone telephone mobile tel tele address postcode
    ref reference case mosaic lcs eclipse re fw fwd subject sent cc bcc attached
    attachment urgent important formal informal written verbal looked after leaver
    guardianship special order orders interim care-leaver pathway pep ehcp plan core
    strategy threshold section47 child-in-need initial review-conference legal
    solicitors judge's management managers director directors head heads senior
    principal lead local authority authorities la gov government minister mp mps
    councillor councillors member members chair chairs complaints' ombudsman's
    safeguarding quality standards policy procedure procedures guidance act law
    regulation regulations statutory corporate outcome upheld partly not inconclusive
    withdrawn stage1 stage2 stage3 sgo s20 s47 cp cin cla lac cic iro sw ssw csw edt
    mash daat taf caf pa yp al icpc rcpc cpc dob d.o.b d.o.b. dob: n/a na tbc asap
    monday's friday's morning's poor little young old both whole entire first second
    third final last previous current latest recent other another same different various
    several every each all any whatever whoever however therefore although though because
    since until unless while whilst after before during following regarding concerning
    re: further furthermore also additionally finally firstly secondly thirdly overall
    apparently unfortunately honestly obviously basically clearly again still just even
    only really actually absolutely completely totally very so too quite rather nothing
    everything something anything noone no-one none never always often sometimes usually
    once twice why how what when where who which whose whom yes no maybe perhaps hopefully
    sadly luckily thankfully meanwhile instead otherwise anyway anyhow fine great good
    excellent brilliant amazing fantastic wonderful lovely awful terrible disgusting
    shocking appalling unacceptable ridiculous angry upset disappointed frustrated happy
    unhappy grateful sad scared worried concerned confused shocked devastated furious
    well done congratulations welcome goodbye bye morning afternoon evening night
    tel: mob mob: email: e: t: m: a: tel. mob. ps p.s. nb n.b. i.e. e.g. etc etc.
    unknown unnamed anonymous staff worker's carers' parents' respite supervised
    unsupervised overnight weekly monthly daily fortnightly annual annually"""
)
# Endings of a street name (used to tell a surname from a street and to find addresses).
STREET_SUFFIXES = _words(
    """road rd street st avenue ave close lane ln drive dr way court ct crescent cres grove
    gardens gdns terrace tce place pl square sq walk row rise mews hill view park green
    parade vale croft fold gate wharf yard chase meadow meadows heights boulevard bank end
    side lea dene grange garth nook paddock approach quay hollow brow wynd circus common
    fields villas cottages buildings estate"""
)
# Words that end an organisation or place name rather than a person's ("Moorside Primary").
ORG_STRICT = _words(
    """primary secondary high academy school schools college university nursery
    pre-school preschool surgery practice medical clinic hospital infirmary centre center
    library chapel mosque temple gurdwara synagogue community leisure sports police
    flats apartments campus junior infants infant trust partnership council team teams
    services service unit project foundation charity limited ltd plc group association
    club co llp solicitors probation specialist deputy assistant inclusion
    pastoral safeguarding midwife midwives nurse health"""
)
# Also ends a place rather than a person, but can be a surname ("Mr Hall"), so only
# used to stop a surname being taken after a first name.
ORG_WORDS = ORG_STRICT | _words("house hall lodge tower point station church cottage view ward")

# Given names, lower case, from many backgrounds (British, Irish, South Asian, African,
# Caribbean, Eastern European, Arabic, Turkish, Chinese and others). A capitalised word
# on this list is taken as a name even without a title or role word before it.
FIRST_NAMES = _words(
    """aaliyah aarav aaron abbas abbey abbi abbie abby abdi abdiaziz abdirahman abdul abdullah
    abdullahi abdulrahman abel abena abi abigail abimbola abiodun abu ada adaeze adam adama
    adamu adebayo adebola adeel adeline adenike adeola adjoa adrian adriana adrianna afua
    agata agne agnieszka ahmed ahmet aidan aiden ailbhe aileen ailsa aimee aisha aishah
    aisling aiste ajay akash akeem akin akira akosua akua alan alana alanna alasdair
    alastair albert alberto albie alecia aled aleena aleksander aleksandra alesha alessandro
    alessia alex alexa alexander alexandra alexandru alexei alexis alfie alfred ali alia
    alice alicia alina alisha alison alistair aliyah allan allison alma alois alys alyssa
    ama amaka amal amanda amara amaya ameena ameer amelia amelie amina aminah amir amira
    amit amos amrit amy ana anabel anand anastasia anaya anderson andre andrea andreas
    andreea andrei andrew andrius andrzej andy aneesa angela angelika angelina angie angus
    anika anil anisa anita anjali ann anna annabel annabelle anne annette annie anthony
    anton antonia antonio anwar anwara anya aoife aqsa arash archie areeba aria ariana
    arianna arjun arkadiusz arlo arnold arran arthur arun arya asa asad asha ashanti
    ashleigh ashley ashton asif asim asma aston astrid atif aubrey audrey aurora austen ava
    avril axel aya ayaan ayan ayanna ayesha ayla aylin ayo ayodele ayoub ayrton ayse azra
    babajide babs bailey baljit balwinder barbara barnaby barry bartlomiej bartosz basia bea
    beata beatrice beatrix becca becky belinda bella ben benedict benjamin bernadette
    bernard bernie beth bethan bethany betty bev beverley bex bhupinder bianca bilal billie
    billy blake bobby bogdan bonnie boris brad bradley brandon brenda brendan brett brian
    briana bridget bridie brodie brody brogan brooke brooklyn bryony bukola burak bushra
    caitlin caleb callum calvin cameron camila camilla caoimhe cara carl carla carlos carly
    carmel carmen caroline carolyn carys casey cassandra cassie cathal catherine cathy
    catriona cecilia cedric celia celine cerys chanel chantelle charlene charles charley
    charlie charlotte chen cherelle cheryl chiamaka chidi chidinma chinedu chinonso chioma
    chisom chloe chris chrissie christina christine christopher chukwuma cian ciara ciaran
    cindy claire clara clare claudette claudia clayton clement cleo clifford clive clodagh
    cody colin colleen colm connie connor conor constance cora corey courtney craig cristian
    cristina cyrus dafydd daisy dale damian damien damilola dan dana daniel daniela daniella
    danielle danny darcey darcy daria darius dariusz darnell darragh darren daryl dave david
    davina davinder dawid dawit dean debbie deborah declan dee deepa deepak deirdre delroy
    demi denise deniz dennis derek dervla derya desmond dev devon dexter dhruv diana diane
    dianne dimitri dina dion dionne divya dolores dominic dominik donal donna donovan dora
    doreen doris dorota dougie douglas duncan dwayne dylan eamon ebere ebony ebru eddie
    edith edmund edward edwin efua egle eileen eilidh eimear elaine eleanor elena eli elias
    elif elijah elin elinor elis eliza elizabeth ella elle ellen ellie elliot elliott ellis
    elsa elsie elvis elzbieta emeka emil emilia emilie emily emine emir emma emmanuel emre
    enya enzo eoin eric erica erin ernest errol esi esme esra esther ethan euan eugene eva
    evan evangeline eve evelyn evie ewa ewan ewelina ezra faadumo fabian faisal faiza faizan
    farah farhan farid farooq farzana fatima fatma fatuma fay faye felix femi ferdinand
    fergal fergus fern ffion filip finlay finley finn fintan fiona fionn flora florin folake
    frances francesca francesco francis frankie fraser freddie freddy frederick freya
    funmilayo gabriel gabriela gabriella gabrielle gareth garry gary gavin gaz gemma
    genevieve george georgia georgina gerald gerard gerry gethin gill gillian gina giovanni
    giulia gladys glen glenn glenys gloria gordon grace gracie graham grainne grazyna
    gregory greta grzegorz gurdeep gurpreet gwen gwendolyn gwyneth habib hadiza hafsa hakan
    hal hala halima hamdi hamid hamish hamza hana hanan hania hannah hannan hans harjit
    harley haroon harper harpreet harriet harrison harry harvey hasan hassan hayden hayley
    hazel heather hector heidi helen helena henry herbert hiba hira hodan hollie howard hugh
    hugo huma humaira hussain hussein iain ian ibrahim ida idris ieuan ieva ifeanyi ifeoma
    ifrah igor ikram ilyas imogen imran ines ingrid ioana iolo iona ionut iqbal iqra irene
    irfan irina iris isaac isabel isabella isabelle isaiah isha ishaan isla ismail ivan
    ivana ivor ivy iwona izabela izzy jacek jack jackie jackson jacob jacqueline jacqui jade
    jaden jagdeep jahanara jaiden jake jakub jamal james jamie jamila jana jane janet janice
    janusz jaroslaw jas jasmeet jasmin jasmine jason jasper jaspreet jasvinder javed javier
    jaxon jay jayce jayden jaylen jayne jeanette jeff jeffrey jen jenna jennifer jenny
    jenson jeremy jermaine jerome jerzy jess jessica jessie jesus jill jim jimmy jing jiri
    jo joan joanna joanne jocelyn jodie joe joel joey johanna john johnny jolene jon jonah
    jonas jonathan jono jordan jordana jorge jose josef joseph josephine josh joshua josie
    joyce juan jubair jude judith judy jules julia julian julie juliet julius jun jurgita
    justin justyna kacey kacper kadeem kai kaiden kaitlyn kamal kamala kamil kamila kamran
    kane kara karen karim karina karl karolina kasey kashif kasia katarzyna kate kath
    katherine kathleen kathryn kathy katie katy kay kayden kaydon kayla kaylee kayleigh
    keane keegan keeley kehinde keira keisha keith kelly kelsey kemi ken kenneth kenny
    kenzie kerry kev kevin khadija khadra khaled khalid kian kiara kieran kim kimberley
    kinga kiran kirandeep kirsteen kirsty kit kobe kofi kojo krzysztof kuldeep kulwinder
    kwabena kwaku kwame kwasi kyle kylie kyron lacey lachlan lacie laila lakshmi lamar lana
    lara laszlo latisha laura lauren laurence lawrence layan layla leah leanne lee leela
    leighton leila lena lennon lenny leo leon leona leonard leonie leroy lesley leslie levi
    lewis lexi lexie liam lidia lila lilian lillian lily lina linda lindsay lindsey ling
    lisa logan lola loredana lorna lorraine lou louis louisa louise luca lucas lucia lucie
    lucja lucy luis luka lukas lukasz luke lydia lyla lynn lynne mabel macie maciej
    mackenzie macy madalina maddie madeleine madeline madiha madison mae maeve magdalena
    maggie mags mahmoud maia mairi maisie maisy maja malachi malak malcolm malgorzata malik
    mandy manon manpreet mantas manuel marc marcel marcia marcin marco marcus marek margaret
    margarita maria mariam marian marianne marie marina mario marion marisa marius mariusz
    marjorie marley marlon marsha marta martha martin martina marvin mary maryam mason mateo
    mateusz matilda matt matthew maureen maurice mavis maxine maxwell maya meena megan
    mehmet mehreen mehwish mei mel melanie melissa melody meredith meron mhairi mia michael
    michaela michal michelle mick mihai mike mikey milan mildred millie milly milo mina
    mindaugas ming miriam mirza misha mizanur mohamed mohammad mohammed mohamud moira mollie
    molly mona monica monika morag morgan morven moses muhammad mujahid mukhtar munira murat
    murray musa mustafa nadeem nadia nadine naeem nailah naima najib nancy naomi narinder
    nasir nasrin nat natalia natalie natasha nathan nathaniel navdeep naveed navid navjot
    nazia nazmul neil nell nellie nelson ngozi nia niall niamh nic nicholas nicky nicola
    nicole nigel nikita nikki nina nisha nkechi nnamdi noah noel noor nora norah noura nuala
    nur nuria obinna oisin okechukwu ola olamide oleksandr olga oliver olivia ollie olumide
    oluwaseun omar omari ondrej orla orlaith oscar otis ovidiu owain owen oyinda ozlem
    padraig pamela paolo paramjit parminder patricia patrick patrycja paul paula paulina
    pauline pavel pawel pearl peggy penelope percy pete peter petra phil philip philippa
    phoebe pierre pietro piotr piper pooja poppy preeti priscilla priti priya priyanka
    przemyslaw rabia rach rachael rachel radek radoslaw radu rafael rafal rafiq rahim rahima
    rahul raj rajesh rajinder ralph rami ramona rana rania raphael rasa rashid ravi ravinder
    rayan raymond razvan rebecca rebekah reece reem reeve reggie rekha renata reza rhian
    rhiannon rhodri rhona rhys ria ricardo richard ricky riley rio rita riya robbie robert
    roberta roberto robin rocco rochelle rodney rohan roisin roman romeo ronald ronan ronnie
    rory rosa rosalind rosemary rosie ross rowan roxana roxanne roy ruairi ruaridh ruben
    rubina ruby rudy rufus rukhsana rupert russell ruta ruth ryan rylan saba sabrina sadia
    safiya sahil sahra said saima saira sajid sakura sal salim sally salma salman sam
    samantha sami samia samir samira sammy samuel sana sandra sanjay santiago saoirse sara
    sarah sasha saskia saul scarlett scott seamus sean sebastian segun selam selin selina
    semhar senait seonaid serena sergei serkan seth shabana shafiq shahana shahid shakira
    shameem shamim shane shanice shannon shanti sharon shaun shauna shaz shazia sheila
    shelby shelley sheree shirin shirley shoaib shona siddharth sidra sienna simon simone
    simran sinead sinéad siobhan sioned skye slawomir sofia sofie sonia sonny sophia sophie
    sorcha sorin stacey stanley stefan stefania stella steph stephanie stephen steve steven
    stewart stuart sukhdeep sukhwinder sumaiya sunil sunita susan susanna suzanne sven sybil
    syed sylvia sylwia szymon tadhg tahir tahmina taiwo tamara tamer tamsin tania tanvir
    tanya tara tariq tash tasha tatiana tayla taylor tayyab teagan ted teddy tegan tejinder
    temitope terence teresa terry tesfay tess tessa thea theo theodore theresa thomas tia
    tiana tianna tiffany tillie tilly tim timothy tina tobias toby tolu tom tomas tomasz
    tommy tomos toni tony tonya tracey tracy trevor trinity tristan troy trudy tudor tunde
    tyler tyreese tyrese tyrone uche umar una urszula usman uzma vaida val valentina valerie
    vanessa vasile veronica vic vicki vicky victor vijay vikram viktor viktoria vincent
    viola violet viv vivian vivienne vlad vytautas wanda waqas warsame wayne wei wendy
    weronika wes wesley whitney wiktoria wilf wilfred william willow winifred winston
    wioletta wojciech xander xavier xiao yara yasir yasmin yasmine yaw yemi yetunde yewande
    yolanda yonas yousef yusra yusuf yvette yvonne zac zach zachary zahid zahra zain zainab
    zak zane zara zayn zbigniew zeeshan zehra zeynep zhen ziad zoe zofia zoë zsofia zubaida
    zubair zuzanna"""
)
# First names that are also ordinary capitalised words (months, verbs, virtues, places):
# taken as names only when a title, role or family word says so.
AMBIGUOUS_NAMES = _words(
    """will may june april august jan hope faith joy grace mark bill sue rose dawn summer
    autumn amber sunny frank guy pat rob ray miles chase drew grant penny crystal holly
    patience mercy precious blessing gift destiny harmony honour justice major king prince
    princess duke earl don art sky storm river ocean star jean charity christian angel
    india paris lincoln victoria sterling rich max mo ed al lance wade carol eve page
    sonny summer reading"""
)

_STOP = (
    frozenset(w.lower() for w in SPACY_STOP_WORDS)
    | TITLES
    | ROLE_WORDS
    | FAMILY_WORDS
    | CLOSINGS
    | GREETINGS
    | MONTHS
    | DAYS
    | DOMAIN_WORDS
    | NAME_FIELDS
    | CALLED_NOUNS
    | ORG_STRICT
)
# A token that can be part of a name: capitalised with at least one lower-case letter
# (so "SW", "CIN" and shouted "NOT" are never names), or an initial such as "J.".
# "I" and "A" without a full stop are words, not initials.
# The lookahead and possessive "*+" keep matching linear on very long tokens (a pasted
# blob of letters must not make the regex backtrack for minutes).
_NAME_TOKEN = r"[A-ZÀ-ÖØ-Þ](?=[A-Za-zÀ-ÖØ-öø-ÿ'’]*[a-zß-öø-ÿ])[A-Za-zÀ-ÖØ-öø-ÿ'’]*+"
_INITIAL = r"[A-Z]\.|[B-HJ-Z]"
_NAME_TOKEN_RE = re.compile(rf"^(?:{_NAME_TOKEN})$")
_NAME_OR_INITIAL_RE = re.compile(rf"^(?:{_NAME_TOKEN}|{_INITIAL})$")
_PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(TYPES) + r")\]")


# ---------------------------------------------------------------------------
# Formats matched on characters. Compiled once at import.
# ---------------------------------------------------------------------------

# A UK number: "+44" (optionally "(0)") or a leading 0, then 9-10 more digits in any
# grouping with spaces, dashes, dots or brackets. Group sizes are checked afterwards
# so that dates and times ("01.06.2023 10.30") are not taken for phone numbers.
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+[ \t]?44[ \t]?(?:\(0\)[ \t]?)?|\(?0)(?:[ \t\-.()]{0,2}\d){9,10}(?!\d)"
)
# Possessive quantifiers keep this linear; the top-level domain is checked in code.
_EMAIL_RE = re.compile(r"(?<![\w.%+'-])[\w.%+'-]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++")
# Any valid UK postcode shape (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA),
# any area letters (so invented areas such as ZX count). Lower-case postcodes are
# matched too, but not "s20 3rd"-like ordinals.
_POSTCODE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d(?!ST|ND|RD|TH)[ABD-HJLNP-UW-Z]{2}"
    r"(?![A-Za-z0-9])"
)
_POSTCODE_LOWER_RE = re.compile(
    r"(?<![A-Za-z0-9])[a-z]{1,2}\d[a-z\d]? ?\d(?!st|nd|rd|th)[abd-hjlnp-uw-z]{2}(?![A-Za-z0-9])"
)
_NHS_LABELLED_RE = re.compile(
    r"(?i:\bNHS\s*(?:number|no\b\.?|num\b\.?|#)?\s*(?:is\s+|:\s*|-\s*)?)"
    r"(?P<value>\d{3}[ -]?\d{3}[ -]?\d{4})(?!\d)"
)
_NHS_RE = re.compile(r"(?<![\d+])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d])")
# NI numbers: two prefix letters (D, F, I, U, V never used; Q allowed so that HMRC's
# example prefix QQ counts), three pairs of digits, a suffix letter A-D.
_NI_RE = re.compile(r"(?<![A-Za-z0-9])[A-CEGHJ-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])")
_NI_LABELLED_RE = re.compile(
    r"(?i:\b(?:national\s+insurance|N\.?I\.?|NINO)\s*(?:number|no\b\.?|num\b\.?)?\s*"
    r"(?:is\s+|:\s*|-\s*)?)"
    r"(?P<value>[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2}(?: ?[A-Da-d](?![A-Za-z0-9]))?)(?![A-Za-z0-9])"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?!\d)"
    r"|\d{4}-\d{2}-\d{2}(?!\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}(?!\d)"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}(?!\d))"
)
# A date is a date of birth only next to a label: "DOB", "D.O.B", "date of birth",
# "born (on)", "birthday". Dates without one ("the meeting on 3 May") stay.
_DOB_RE = re.compile(
    r"(?i)(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s?date\b|\bborn\b(?:\s+on)?"
    r"|\bbirthday\b)\s*(?:is\s+|was\s+|of\s+|[:=\-–]\s*|\(\s*)?"
    rf"(?P<value>{_DATE})"
)
_DOB_MORE_RE = re.compile(rf"(?i)\s*(?:,|and|&)\s*(?P<value>{_DATE})")
# Case references after a label: "ref CS-2023-0412", "case no. 123456", "Mosaic ID 4471902".
_REF_LABELLED_RE = re.compile(
    r"(?i:\b(?P<key>case|file|client|complaint|court|claim|mosaic|lcs|eclipse|liquid\s?logic"
    r"|crn|reference|ref|id)\b\.?"
    r"(?P<tail>(?:\s*(?:ref(?:erence)?|no|number|num|id)\b\.?|\s*#)*))"
    r"\s*(?:is\s+|[:#=\-–]\s*)?"
    r"(?P<value>[A-Za-z0-9](?:[A-Za-z0-9/\-]*[A-Za-z0-9])?(?: \d{3,}(?![A-Za-z0-9/\-]))*)"
)
# References recognisable by shape alone: "CS-2023-0412", "COMP/22/118", and family
# court case numbers such as "ZX23P00418".
_REF_SHAPE_RE = re.compile(
    r"(?<![A-Za-z0-9/\-])(?:[A-Z]{2,6}[-/]\d{2,4}[-/]\d{2,6}|[A-Z]{2}\d{2}[A-Z]\d{5})"
    r"(?![A-Za-z0-9/\-])"
)
_DATE_LIKE_RE = re.compile(r"^\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{1,4})?$")

_CAP = r"[A-Z](?=[A-Za-z'’\-]*[a-z])[A-Za-z'’\-]*+"
_SUFFIX_ALT = "|".join(
    sorted(
        (s.capitalize() for s in STREET_SUFFIXES),
        key=len,
        reverse=True,
    )
)
_NUMBERED = (
    rf"\d{{1,4}}[A-Za-z]?(?:-\d{{1,4}})?,?[ \t]+(?:{_CAP}[ \t]+){{0,2}}{_CAP}[ \t]+"
    rf"(?:{_SUFFIX_ALT})\b"
)
_BUILDING = (
    rf"(?:{_CAP}[ \t]+){{1,2}}(?:House|Court|Lodge|Mansions|Tower|Heights|Buildings|Point|Flats"
    r"|Cottages|Hall|Apartments|Place)\b"
)
_BARE_SUFFIX = "Road|Street|Avenue|Close|Lane|Drive|Crescent|Grove|Gardens|Terrace|Mews|Rise"
_STREET = rf"(?:{_CAP}[ \t]+){{1,2}}(?:{_BARE_SUFFIX})\b"
_ADDRESS_RE = re.compile(
    rf"\b(?:(?:Flat|Apartment|Apt|Unit|Room)[ \t]+\d{{1,4}}[A-Za-z]?,?[ \t]+"
    rf"(?:{_BUILDING}(?:,?[ \t]+(?:{_NUMBERED}|{_STREET}))?|{_NUMBERED})"
    rf"|{_NUMBERED})"
)
# A street named without a house number ("moved to Ashgrove Avenue"), but not a school
# or centre named after one ("Hallow Lane Academy").
_BARE_STREET_RE = re.compile(
    rf"(?<![\w'’])(?:{_CAP}[ \t]+){{1,2}}(?:{_BARE_SUFFIX})\b"
    r"(?![ \t]+(?:Academy|School|Primary|Nursery|Surgery|Medical|Health|Centre|Center|Clinic"
    r"|Practice|Library|Church|Mosque|Community|Leisure|Sports|Police|Station|Hospital|Campus"
    r"|College|Infants?|Junior|High|Family|Children|Contact|Hub|Estate|Day|Project)\b)"
)
_COURT_NAMES = _words("family county crown high magistrates magistrates' youth appeal supreme")
_GENERIC_STREETS = _words("high main")

# Priorities when spans overlap: a lower number wins. Labelled evidence beats shapes.
_PRIORITY = {
    "_PLACEHOLDER": 0,
    "EMAIL": 1,
    "NHS_NUMBER": 2,
    "NI_NUMBER": 3,
    "DATE_OF_BIRTH": 4,
    "CASE_REF": 5,
    "PHONE": 6,
    "_NHS_SHAPE": 7,
    "_REF_SHAPE": 8,
    "POSTCODE": 9,
    "ADDRESS": 10,
    "NAME": 11,
}
_CONTACT_TYPES = frozenset({"PHONE", "EMAIL", "ADDRESS", "POSTCODE", "_PLACEHOLDER"})


def nhs_number_valid(number: str) -> bool:
    """True when a 10-digit NHS number's last digit is its modulus-11 check digit."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10:
        return False
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


def _phone_ok(raw: str) -> bool:
    text = raw.strip()
    international = text.startswith("+")
    if international:
        text = re.sub(r"^\+[ \t]?44[ \t]?(?:\(0\)[ \t]?)?", "", text)
    digits = re.sub(r"\D", "", text)
    if not international and not digits.startswith("0"):
        return False
    national = digits if not international else "0" + digits
    if len(national) not in (10, 11) or national[1] == "0":
        return False
    # Real numbers are written in groups of three or more digits ("01632 960 118",
    # "07700 900123"); a lone leading "0" ("0 7700 900 313") is allowed too.
    groups = re.findall(r"\d+", text)
    if groups and groups[0] == "0":
        groups = groups[1:]
    return all(len(g) >= 3 for g in groups)


def _ref_ok(value: str, key: str, tail: str) -> bool:
    compact = value.replace(" ", "")
    digits = sum(c.isdigit() for c in compact)
    if digits < 3 or len(compact) < 4:
        return False
    if _DATE_LIKE_RE.match(value):
        return False  # a date or a financial year ("2023/24"), not a reference
    strong = bool(tail.strip()) or key.lower() in {
        "mosaic",
        "lcs",
        "eclipse",
        "crn",
        "id",
        "ref",
        "reference",
    }
    if compact.isdigit():
        return digits >= (4 if strong else 5)
    return True


def _pattern_spans(text: str) -> list[tuple[int, int, str]]:
    """Candidate spans of every format found in ``text`` (may overlap; resolved later)."""
    found: list[tuple[int, int, str]] = []
    add = found.append
    if "[" in text:
        for m in _PLACEHOLDER_RE.finditer(text):
            add((m.start(), m.end(), "_PLACEHOLDER"))
    if "@" in text:
        for m in _EMAIL_RE.finditer(text):
            end = _email_end(m)
            if end:
                add((m.start(), end, "EMAIL"))
    if not any(c.isdigit() for c in text):
        # Every format but e-mails and unnumbered streets needs a digit.
        for m in _BARE_STREET_RE.finditer(text):
            span = _bare_street(m)
            if span:
                add(span)
        return found
    for m in _NHS_LABELLED_RE.finditer(text):
        add((m.start("value"), m.end("value"), "NHS_NUMBER"))
    for m in _NHS_RE.finditer(text):
        if nhs_number_valid(m.group()):
            add((m.start(), m.end(), "_NHS_SHAPE"))
    for m in _NI_RE.finditer(text):
        add((m.start(), m.end(), "NI_NUMBER"))
    for m in _NI_LABELLED_RE.finditer(text):
        add((m.start("value"), m.end("value"), "NI_NUMBER"))
    for m in _DOB_RE.finditer(text):
        add((m.start("value"), m.end("value"), "DATE_OF_BIRTH"))
        end = m.end()
        while more := _DOB_MORE_RE.match(text, end):
            add((more.start("value"), more.end("value"), "DATE_OF_BIRTH"))
            end = more.end()
    for m in _REF_LABELLED_RE.finditer(text):
        if _ref_ok(m.group("value"), m.group("key"), m.group("tail")):
            add((m.start("value"), m.end("value"), "CASE_REF"))
    for m in _REF_SHAPE_RE.finditer(text):
        add((m.start(), m.end(), "_REF_SHAPE"))
    for m in _PHONE_RE.finditer(text):
        if _phone_ok(m.group()):
            start = m.start()
            # "(01632) 960118" keeps its bracket; "(07700 900590)" leaves it to the text.
            if text[start] == "(" and ")" not in m.group():
                start += 1
            add((start, m.end(), "PHONE"))
    for m in _POSTCODE_RE.finditer(text):
        add((m.start(), m.end(), "POSTCODE"))
    for m in _POSTCODE_LOWER_RE.finditer(text):
        add((m.start(), m.end(), "POSTCODE"))
    for m in _ADDRESS_RE.finditer(text):
        span = _numbered_address(m)
        if span:
            add(span)
    for m in _BARE_STREET_RE.finditer(text):
        span = _bare_street(m)
        if span:
            add(span)
    return found


def _email_end(m: re.Match[str]) -> int | None:
    """Where the e-mail address ends: its last dot-separated part must be letters
    ("example.org.uk"); trailing parts that are not ("example.com.2") are left out."""
    local, _at, domain = m.group().partition("@")
    labels = domain.split(".")
    while len(labels) >= 2 and not (labels[-1].isalpha() and len(labels[-1]) >= 2):
        labels.pop()
    if len(labels) < 2:
        return None
    return m.start() + len(local) + 1 + len(".".join(labels))


def _numbered_address(m: re.Match[str]) -> tuple[int, int, str] | None:
    words = m.group().split()
    if len(words) >= 2 and words[-1] == "Court" and words[-2].lower() in _COURT_NAMES:
        return None  # "2 Family Court hearings" is not an address
    return (m.start(), m.end(), "ADDRESS")


def _bare_street(m: re.Match[str]) -> tuple[int, int, str] | None:
    """An unnumbered street, with sentence words before it ("At", "The") left out."""
    words = [(w.start() + m.start(), w.group()) for w in re.finditer(r"\S+", m.group())]
    # Drop leading ordinary words: "At Mill Lane" -> "Mill Lane".
    while len(words) > 1 and words[0][1].lower() in _STOP:
        words = words[1:]
    if len(words) < 2:
        return None
    if len(words) == 2 and words[0][1].lower() in _GENERIC_STREETS:
        return None  # "High Street" names no one's home
    return (words[0][0], m.end(), "ADDRESS")


def _resolve(candidates: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans: higher-priority types first, longer spans first within one."""
    ordered = sorted(candidates, key=lambda c: (_PRIORITY[c[2]], c[0] - c[1], c[0]))
    chosen: list[tuple[int, int, str]] = []
    for cand in ordered:
        if all(cand[1] <= s[0] or cand[0] >= s[1] for s in chosen):
            chosen.append(cand)
    chosen.sort()
    return chosen


# ---------------------------------------------------------------------------
# Names, on spaCy tokens.
# ---------------------------------------------------------------------------


def _matcher_patterns() -> dict[str, list[list[dict[str, Any]]]]:
    stop = sorted(_STOP)
    nm = {"TEXT": {"REGEX": f"^(?:{_NAME_TOKEN}|{_INITIAL})$"}, "LOWER": {"NOT_IN": stop}}
    # At most four name tokens in a row: a bounded run also keeps the Matcher linear on
    # text that is all capitalised words.
    nm_plus = {**nm, "OP": "{1,4}"}
    comma = {"ORTH": ",", "OP": "?"}
    title = {"LOWER": {"IN": sorted(TITLES)}}
    opt_title = {"LOWER": {"IN": sorted(TITLES)}, "OP": "?"}
    spaces = {"IS_SPACE": True, "OP": "*"}
    age = {"LOWER": {"IN": ["aged", "age", "now"]}, "OP": "?"}
    dob = {"LOWER": {"IN": ["dob", "d.o.b", "d.o.b.", "dob:", "d.o.b:"]}}
    return {
        # "Mrs Adams", "Mr J. Okafor", "Dr. Shah".
        "TITLE": [[title, {"ORTH": ".", "OP": "?"}, nm_plus]],
        # "SW Karen", "social worker Karen Blake", "the duty SW, Kamal,", "PC Okafor".
        "ROLE": [[{"LOWER": {"IN": sorted(ROLE_WORDS)}}, comma, nm_plus]],
        # "my son Josh", "my daughter's dad Lee", "mum of Mariam", "Auntie Dee".
        "FAMILY": [
            [{"LOWER": {"IN": sorted(FAMILY_WORDS)}}, comma, nm_plus],
            [{"LOWER": {"IN": sorted(FAMILY_WORDS)}}, {"LOWER": "of"}, nm_plus],
        ],
        # "My mum is Agnieszka Wrobel", "my social worker is called Becky".
        "IS": [
            [
                {"LOWER": {"IN": sorted(FAMILY_WORDS | ROLE_WORDS)}},
                {"LOWER": {"IN": ["is", "was"]}},
                {"LOWER": {"IN": ["called", "named"]}, "OP": "?"},
                opt_title,
                nm_plus,
            ],
        ],
        # "Marguerite Achebe, our SSW", "Vanessa Holt, NYAS advocate" (full names only).
        "APPOSITION": [
            [
                nm,
                nm_plus,
                {"ORTH": ","},
                {
                    "LOWER": {"IN": ["our", "my", "the", "his", "her", "their", "a", "an"]},
                    "OP": "?",
                },
                {"IS_ALPHA": True, "OP": "?"},
                {"LOWER": {"IN": sorted(APPOSITION_WORDS)}},
            ],
        ],
        # "thank Agata for", "thanks to Dev and".
        "THANK": [
            [
                {"LOWER": {"IN": ["thank", "thanks", "thanking", "thanked"]}},
                {"LOWER": "you", "OP": "?"},
                {"LOWER": "to", "OP": "?"},
                opt_title,
                nm_plus,
            ],
        ],
        # "Mum (Kerry)", "SW (Karen)".
        "BRACKETED": [
            [
                {"LOWER": {"IN": sorted(FAMILY_WORDS | ROLE_WORDS)}},
                {"ORTH": "("},
                nm_plus,
                {"ORTH": ")"},
            ]
        ],
        # "Josh's dad", "Oscar's mum".
        "POSSESSIVE": [
            [nm_plus, {"LOWER": {"IN": ["'s", "’s"]}}, {"LOWER": {"IN": sorted(FAMILY_WORDS)}}]
        ],
        # "the Pellegrini family", "the Mensah children", "the Osei-Bonsu family".
        "FAMILY_NAME": [
            [
                {"LOWER": "the"},
                nm,
                {"ORTH": "-", "OP": "?"},
                {**nm, "OP": "?"},
                {"LOWER": {"IN": sorted(HOUSEHOLD_WORDS)}},
            ],
        ],
        # "Dear Anita", "Hi Karen".
        "GREETING": [[{"LOWER": {"IN": sorted(GREETINGS)}}, opt_title, nm_plus]],
        # "Thanks, Leanne", "Regards\nGemma Oduya", "Thank you\nShannon", "Love from Shona".
        "CLOSING": [
            [
                {"LOWER": {"IN": sorted(CLOSINGS)}},
                {"IS_PUNCT": True, "OP": "?"},
                spaces,
                opt_title,
                nm_plus,
            ],
            [
                {"LOWER": "thank"},
                {"LOWER": "you"},
                {"IS_PUNCT": True, "OP": "?"},
                spaces,
                opt_title,
                nm_plus,
            ],
            [{"LOWER": "love"}, {"LOWER": "from"}, nm_plus],
        ],
        # "From Kasia" at the start of a line (checked after matching).
        "FROM": [[{"LOWER": "from"}, {"ORTH": ",", "OP": "?"}, nm_plus]],
        # "a man called Viktor", "named Jade", "my name is Callum Reid".
        "CALLED": [
            [
                {"LOWER": {"IN": sorted(CALLED_NOUNS)}},
                {"LOWER": {"IN": ["called", "named"]}},
                opt_title,
                nm_plus,
            ],
            [{"LOWER": "named"}, opt_title, nm_plus],
            [
                {"LOWER": "name"},
                {"LOWER": {"IN": ["is", "was", "'s", "’s", ":", "-"]}},
                opt_title,
                nm_plus,
            ],
            [
                {"LOWER": {"IN": ["i", "i'm"]}},
                {"LOWER": {"IN": ["am", "'m", "’m"]}, "OP": "?"},
                nm,
                nm_plus,
            ],
        ],
        # "Esme (13)", "Oscar Hemmings (aged 5)", "Tobi, aged 14".
        "AGE": [
            [nm_plus, {"ORTH": "("}, age, {"LIKE_NUM": True}],
            [nm_plus, comma, {"LOWER": {"IN": ["aged", "age"]}}, {"LIKE_NUM": True}],
        ],
        # "Alfie Brennan, DOB", "Kofi Asante, born on".
        "DOB": [
            [nm_plus, {"ORTH": {"IN": [",", "(", "-"]}, "OP": "?"}, dob],
            [nm_plus, {"ORTH": {"IN": [",", "("]}, "OP": "?"}, {"LOWER": {"IN": ["date", "born"]}}],
        ],
        # "Child: Harvey Lomax", "Caller: Mr Kovacs".
        "FIELD": [
            [
                {"LOWER": {"IN": sorted(NAME_FIELDS | ROLE_WORDS)}},
                {"ORTH": ":"},
                opt_title,
                nm_plus,
            ],
            [
                {"LOWER": {"IN": sorted(NAME_FIELDS)}},
                {"LOWER": "name"},
                {"ORTH": ":"},
                opt_title,
                nm_plus,
            ],
        ],
    }


# Patterns whose name part comes before the anchor words: at most this many name
# tokens are taken backwards (so a capitalised word two words earlier is not swept in).
_LEFT_ANCHORED = {"POSSESSIVE", "AGE", "DOB"}
_MAX_NAME_TOKENS = 4
# Tokens either side of a name-shaped token that the Matcher looks at (longer than
# any pattern's reach from its name token to its trigger words).
_WINDOW = 8
# Triggers after which a place is as likely as a person ("thanks to Moorside Primary",
# "SENCo, Ridgeway Primary"); a title or family word before a name is not vetoed.
_WEAK_TRIGGERS = {"ROLE", "THANK", "CLOSING", "FROM", "FIELD", "GREETING", "FAMILY_NAME"}


@dataclass
class _TokenInfo:
    """Per-token facts computed once per document."""

    texts: list[str]
    lowers: list[str]
    starts: list[int]
    ends: list[int]
    spaces: list[str]
    name_like: list[bool]
    name_or_initial: list[bool]
    covered: list[bool]
    newline: list[bool]


class Redactor:
    """Finds and replaces personal data. Configure once, then call on many texts.

    ``types``: which types to redact (default: all of ``TYPES``). ``spacy_model``:
    None for the rule-based path on ``spacy.blank("en")``, or the name (or folder)
    of an installed spaCy pipeline whose PERSON entities are added as names.
    ``places``: with a model, also redact its FAC/GPE/LOC entities as [ADDRESS]
    (off by default: place names rarely identify a family and the council's name
    must stay).
    """

    def __init__(
        self,
        types: Iterable[str] | None = None,
        spacy_model: str | Path | None = None,
        *,
        places: bool = False,
        batch_size: int = 256,
    ) -> None:
        if types is None:
            self.types = frozenset(TYPES)
        else:
            wanted = {str(t).strip().upper() for t in types}
            unknown = sorted(wanted - set(TYPES))
            if unknown:
                raise RedactionError(
                    f"unknown type of personal data: {', '.join(unknown)}; "
                    f"choose from {', '.join(TYPES)}"
                )
            self.types = frozenset(wanted)
        self.spacy_model = str(spacy_model) if spacy_model is not None else None
        self.places = places
        self.batch_size = batch_size
        self.nlp = _load_pipeline(self.spacy_model)
        self._statistical = self.spacy_model is not None
        from spacy.matcher import Matcher

        self._matcher = Matcher(self.nlp.vocab)
        self._keys: dict[int, str] = {}
        for key, patterns in _matcher_patterns().items():
            self._matcher.add(key, patterns, greedy="LONGEST")
            self._keys[self.nlp.vocab.strings[key]] = key

    # -- public API --------------------------------------------------------

    def find_spans(self, text: str) -> list[Span]:
        """The personal data in ``text``: sorted, non-overlapping spans of the enabled types."""
        return self.find_spans_many([text])[0]

    def find_spans_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """``find_spans`` for many texts, tokenised in batches (much faster than one by one)."""
        texts = [t if isinstance(t, str) else cell_text(t) for t in texts]
        candidates = [_pattern_spans(t) for t in texts]
        # Names need a capital letter; skip tokenising texts without one.
        need = [i for i, t in enumerate(texts) if "NAME" in self.types and t.lower() != t]
        for i, doc in zip(need, self._docs([texts[i] for i in need]), strict=True):
            candidates[i].extend(self._name_spans(doc, candidates[i]))
        result = []
        for spans in candidates:
            resolved = _resolve(spans)
            result.append(
                [
                    Span(s, e, _public_type(t))
                    for s, e, t in resolved
                    if not t.startswith("_PLACEHOLDER") and _public_type(t) in self.types
                ]
            )
        return result

    def redact_text(self, text: str) -> str:
        """``text`` with each personal detail replaced by its placeholder, e.g. [NAME]."""
        return self.redact_many([text])[0]

    def redact_many(self, texts: Sequence[str]) -> list[str]:
        """``redact_text`` for many texts."""
        texts = [t if isinstance(t, str) else cell_text(t) for t in texts]
        return [
            apply_spans(text, spans)
            for text, spans in zip(texts, self.find_spans_many(texts), strict=True)
        ]

    def redact_frame(
        self,
        frame: pd.DataFrame,
        text_column: str | Sequence[str],
        counts: Counter[str] | None = None,
    ) -> pd.DataFrame:
        """A copy of ``frame`` with the text column(s) redacted; rows and other columns unchanged.

        Empty cells stay empty (None stays None); a non-text cell (a number in an
        Excel column) keeps its value unless redaction changes its text. Pass a
        ``Counter`` as ``counts`` to have it updated with the number of details
        replaced per type (e.g. to report totals after tagging with redaction).
        """
        out, found, _changed = self._redact_frame(frame, _as_list(text_column))
        if counts is not None:
            counts.update(found)
        return out

    def _redact_frame(
        self, frame: pd.DataFrame, columns: list[str]
    ) -> tuple[pd.DataFrame, Counter[str], int]:
        out = frame.copy()
        counts: Counter[str] = Counter()
        changed_rows = pd.Series(False, index=frame.index)
        for column in columns:
            if column not in frame.columns:
                raise missing_column(column, list(frame.columns), "--text-column")
            values = frame[column].tolist()
            texts = [cell_text(v) for v in values]
            spans = self.find_spans_many(texts)
            new_values: list[Any] = []
            changed = []
            for value, text, found in zip(values, texts, spans, strict=True):
                counts.update(s.type for s in found)
                if found:
                    new_values.append(apply_spans(text, found))
                    changed.append(True)
                else:
                    new_values.append(value)
                    changed.append(False)
            out[column] = pd.Series(new_values, index=frame.index, dtype=object)
            changed_rows |= pd.Series(changed, index=frame.index)
        return out, counts, int(changed_rows.sum())

    def _docs(self, texts: list[str]) -> Iterator[Any]:
        if self._statistical:
            yield from self.nlp.pipe(texts, batch_size=self.batch_size)
        else:
            yield from self.nlp.tokenizer.pipe(texts, batch_size=self.batch_size)

    def _token_info(self, doc: Any, candidates: list[tuple[int, int, str]]) -> _TokenInfo:
        texts: list[str] = []
        lowers: list[str] = []
        starts: list[int] = []
        spaces: list[str] = []
        newline: list[bool] = []
        for t in doc:  # one pass: creating spaCy Token objects is the costly part
            texts.append(t.text)
            lowers.append(t.lower_)
            starts.append(t.idx)
            spaces.append(t.whitespace_)
            newline.append(t.is_space and "\n" in t.text)
        ends = [s + len(x) for s, x in zip(starts, texts, strict=True)]
        covered = [False] * len(texts)
        if candidates:
            # Tokens inside a number, e-mail, address or placeholder are never names.
            ranges = sorted((s, e) for s, e, _t in candidates)
            j = 0
            for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
                while j < len(ranges) and ranges[j][1] <= s:
                    j += 1
                k = j
                while k < len(ranges) and ranges[k][0] < e:
                    if ranges[k][1] > s:
                        covered[i] = True
                        break
                    k += 1
        name_like = []
        name_or_initial = []
        for x, lo, c in zip(texts, lowers, covered, strict=True):
            maybe = not c and x[:1].isupper() and lo not in _STOP
            name_like.append(maybe and bool(_NAME_TOKEN_RE.match(x)))
            name_or_initial.append(maybe and bool(_NAME_OR_INITIAL_RE.match(x)))
        return _TokenInfo(
            texts=texts,
            lowers=lowers,
            starts=starts,
            ends=ends,
            spaces=spaces,
            name_like=name_like,
            name_or_initial=name_or_initial,
            covered=covered,
            newline=newline,
        )

    def _matches(self, doc: Any, info: _TokenInfo) -> Iterator[tuple[str, int, int]]:
        """Matcher results, run only on windows around name-shaped tokens.

        Every pattern contains a name token and its trigger words lie within a few
        tokens of it, so the windows lose no match; they skip the two thirds of a
        long letter that has no capitalised word, where the Matcher would spend
        most of its time.
        """
        n = len(info.texts)
        windows: list[list[int]] = []
        for i, flag in enumerate(info.name_or_initial):
            if not flag:
                continue
            lo, hi = max(0, i - _WINDOW), min(n, i + _WINDOW + 1)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = hi
            else:
                windows.append([lo, hi])
        for lo, hi in windows:
            for match_id, start, end in self._matcher(doc[lo:hi]):
                yield self._keys.get(match_id, ""), start + lo, end + lo

    def _name_spans(
        self, doc: Any, candidates: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, str]]:
        info = self._token_info(doc, candidates)
        n = len(info.texts)
        names: set[int] = set()

        # 1. Context patterns (titles, roles, family words, greetings, sign-offs...).
        for key, start, end in self._matches(doc, info):
            idx = [i for i in range(start, end) if info.name_or_initial[i]]
            if not idx:
                continue
            if key == "FROM" and start > 0 and not info.newline[start - 1]:
                continue  # "a letter from Moorside" is not a signature
            if key in {"CLOSING", "FROM"} and not _ends_line(info, _first_run(idx)[-1]):
                # A sign-off name ends its line: "Thanks, Leanne", not "love Moorside Academy".
                continue
            if key in _LEFT_ANCHORED:
                idx = _last_run(idx)[-3:]
            else:
                idx = _first_run(idx)[:_MAX_NAME_TOKENS]
                if key in _WEAK_TRIGGERS and _names_a_place(info, idx[-1]):
                    continue  # "thank Moorside Primary", "SENCo, Ridgeway Primary"
            names.update(idx)

        # 2. Known first names on their own ("Lucy listened"), with a surname after them.
        for i in range(n):
            if (
                info.name_like[i]
                and info.lowers[i] in FIRST_NAMES
                and info.lowers[i] not in AMBIGUOUS_NAMES
            ):
                names.add(i)

        # 3. A statistical model's PERSON entities, when one is loaded.
        if self._statistical:
            for ent in doc.ents:
                if ent.label_ == "PERSON":
                    names.update(i for i in range(ent.start, ent.end) if info.name_or_initial[i])

        # 4. Signature lines at the end of a letter ("Kelly Marsden" above a phone number),
        # and full names just before a contact detail ("Dionne Campbell (07700 900918)").
        names.update(_signature_names(info, candidates))
        names.update(_names_before_contacts(info, candidates))

        # 5. Grow names: hyphenated parts, surnames, names joined by "and"; then every
        # other occurrence of a name already found.
        names = _grow(info, names)
        seeds = {info.texts[i] for i in names if info.name_like[i] and len(info.texts[i]) > 1}
        if seeds:
            names.update(i for i in range(n) if info.name_like[i] and info.texts[i] in seeds)
            names = _grow(info, names)

        spans = _token_runs(info, names)
        if self._statistical and self.places:
            for ent in doc.ents:
                if ent.label_ in {"GPE", "FAC", "LOC"} and ent.text.lower() not in _STOP:
                    spans.append((ent.start_char, ent.end_char, "ADDRESS"))
        return spans


def _public_type(kind: str) -> str:
    if kind == "_NHS_SHAPE":
        return "NHS_NUMBER"
    if kind == "_REF_SHAPE":
        return "CASE_REF"
    return kind


def _first_run(idx: list[int]) -> list[int]:
    run = [idx[0]]
    for i in idx[1:]:
        if i != run[-1] + 1:
            break
        run.append(i)
    return run


def _last_run(idx: list[int]) -> list[int]:
    run = [idx[-1]]
    for i in reversed(idx[:-1]):
        if i != run[0] - 1:
            break
        run.insert(0, i)
    return run


def _names_a_place(info: _TokenInfo, last: int) -> bool:
    """The capitalised words ending at ``last`` are the start of a place or organisation.

    True when a street ending follows at once ("Mill Road") or an organisation word
    follows within a few words on the same line ("Southfields Children's Centre",
    "St Anselm's CE Primary", "the Brambles family centre").
    """
    n = len(info.texts)
    nxt = last + 1
    if nxt < n and info.lowers[nxt] in STREET_SUFFIXES:
        return True
    for j in range(nxt, min(n, nxt + 4)):
        word = info.texts[j]
        if info.lowers[j] in ORG_STRICT:
            return True
        passes = word[:1].isupper() or info.lowers[j] in {"'s", "’s", "family", "children"}
        if info.newline[j] or not passes:
            return False
    return False


def _ends_line(info: _TokenInfo, i: int) -> bool:
    """Token i is the last word of its line (punctuation or kisses may follow)."""
    nxt = i + 1
    if nxt >= len(info.texts) or info.newline[nxt] or "\n" in info.spaces[i]:
        return True
    return info.texts[nxt] in {",", ".", "!", "x", "xx", "xxx", "(", "-", "–"}


def _same_line_gap(info: _TokenInfo, i: int) -> bool:
    """Token i is followed by token i+1 with only spaces (no line break) between."""
    return i + 1 < len(info.texts) and "\n" not in info.spaces[i] and not info.newline[i + 1]


def _grow(info: _TokenInfo, names: set[int]) -> set[int]:
    """Names plus the words that belong with them (each token looked at once)."""
    n = len(info.texts)
    grown = set(names)
    todo = sorted(grown)
    while todo:
        i = todo.pop()
        for a in _neighbours(info, i, n):
            if a not in grown and not info.covered[a]:
                grown.add(a)
                todo.append(a)
    return grown


def _neighbours(info: _TokenInfo, i: int, n: int) -> list[int]:
    """Tokens that join the name at token i."""
    additions: list[int] = []
    # "Okonkwo-Smith", "Tracey-Ann": parts joined by a hyphen with no spaces.
    if (
        i + 2 < n
        and info.spaces[i] == ""
        and info.texts[i + 1] in {"-", "‐"}
        and info.spaces[i + 1] == ""
        and info.name_like[i + 2]
    ):
        additions += [i + 1, i + 2]
    if (
        i >= 2
        and info.texts[i - 1] in {"-", "‐"}
        and info.spaces[i - 2] == ""
        and info.spaces[i - 1] == ""
        and info.name_like[i - 2]
    ):
        additions += [i - 2, i - 1]
    # A surname: the next capitalised word on the same line, unless it is a street
    # ending ("Victoria Road") or an organisation word ("Moorside Primary").
    if (
        info.name_like[i]
        and _same_line_gap(info, i)
        and info.spaces[i] == " "
        and info.name_like[i + 1]
        and info.lowers[i + 1] not in STREET_SUFFIXES
        and info.lowers[i + 1] not in ORG_WORDS
        and not (i + 2 < n and info.lowers[i + 2] in ORG_WORDS)
    ):
        additions.append(i + 1)
    # "Sarah and Priya", "Amy, Ben and Cara": the next name in a list (after a
    # comma only a known first name: "Mr Osborne, Deputy Head" is a job).
    if (
        i + 2 < n
        and (
            info.lowers[i + 1] in {"and", "&", "or"}
            or (info.lowers[i + 1] == "," and info.lowers[i + 2] in FIRST_NAMES)
        )
        and info.name_like[i + 2]
        and "\n" not in info.spaces[i + 1]
        and info.lowers[i + 2] not in STREET_SUFFIXES
        and not (i + 3 < n and info.lowers[i + 3] in ORG_WORDS)
    ):
        additions.append(i + 2)
    if (
        i >= 2
        and info.lowers[i - 1] in {"and", "&"}
        and info.name_like[i - 2]
        and (info.lowers[i - 2] in FIRST_NAMES or info.lowers[i - 2] in AMBIGUOUS_NAMES)
    ):
        additions.append(i - 2)
    return additions


def _signature_names(info: _TokenInfo, candidates: list[tuple[int, int, str]]) -> set[int]:
    """Names on the short lines that end a letter or e-mail.

    A line counts when it starts with two to four name-like words (optionally after a
    title) and nothing else but a bracket or comma follows, and it sits in the last
    lines of the text: the last line, a line after a sign-off, or a line followed by a
    contact line (phone, e-mail, address, postcode).
    """
    n = len(info.texts)
    lines: list[list[int]] = [[]]
    for i in range(n):
        if info.newline[i]:
            lines.append([])
        elif not info.texts[i].isspace():
            lines[-1].append(i)
    lines = [line for line in lines if line]
    if len(lines) < 2:
        return set()
    contact_starts = sorted(s for s, _e, t in candidates if t in _CONTACT_TYPES)

    def has_contact(line: list[int]) -> bool:
        lo, hi = info.starts[line[0]], info.ends[line[-1]]
        return any(lo <= s < hi for s in contact_starts)

    def is_closing(line: list[int]) -> bool:
        words = [info.lowers[i] for i in line if info.texts[i].isalpha()]
        return bool(words) and (words[-1] in CLOSINGS or words[-1] in {"you", "thanks"})

    found: set[int] = set()
    first_tail = max(1, len(lines) - 6)
    for pos in range(first_tail, len(lines)):
        line = lines[pos]
        tokens = [i for i in line if not info.covered[i]]
        while tokens and info.lowers[tokens[0]] in TITLES:
            tokens = tokens[1:]
        run: list[int] = []
        for i in tokens:
            if info.name_or_initial[i]:
                run.append(i)
            elif info.lowers[i] in {"and", "&"} and run:
                continue
            else:
                break
        run = [i for i in run if info.name_or_initial[i]]
        if not run:
            continue
        rest = tokens[tokens.index(run[-1]) + 1 :]
        if rest and info.texts[rest[0]] not in {",", "(", "-", "–"}:
            continue
        last = pos == len(lines) - 1
        after_closing = is_closing(lines[pos - 1])
        before_contact = pos + 1 < len(lines) and has_contact(lines[pos + 1])
        several = len(run) >= 2 and (last or after_closing or before_contact)
        single = len(run) == 1 and info.name_like[run[0]] and (after_closing or (last and not rest))
        if several or single:
            found.update(run)
    return found


def _names_before_contacts(info: _TokenInfo, candidates: list[tuple[int, int, str]]) -> set[int]:
    """Two or three name-like words right before a phone, e-mail or street address.

    Postcodes are left out: the word before one is usually a town ("Welling Cross ZX4").
    """
    starts = {s for s, _e, t in candidates if t in {"PHONE", "EMAIL", "ADDRESS"}}
    found: set[int] = set()
    if not starts:
        return found
    n = len(info.texts)
    for j in range(n):
        if info.starts[j] not in starts and not (
            info.texts[j] == "(" and j + 1 < n and info.starts[j + 1] in starts
        ):
            continue
        i = j - 1
        while i >= 0 and info.texts[i] in {",", "(", ":", "-", "–"} and not info.newline[i]:
            i -= 1
        run: list[int] = []
        while i >= 0 and info.name_or_initial[i] and "\n" not in info.spaces[i]:
            run.insert(0, i)
            i -= 1
        if len(run) >= 2:
            found.update(run[-3:])
    return found


def _token_runs(info: _TokenInfo, names: set[int]) -> list[tuple[int, int, str]]:
    """Character spans covering runs of name tokens separated only by spaces or hyphens."""
    spans: list[tuple[int, int, str]] = []
    current: list[int] | None = None
    for i in sorted(names):
        if info.covered[i]:
            continue
        if current is not None and current[1] == i - 1 and "\n" not in info.spaces[i - 1]:
            current[1] = i
            continue
        if current is not None:
            spans.append((info.starts[current[0]], info.ends[current[1]], "NAME"))
        current = [i, i]
    if current is not None:
        spans.append((info.starts[current[0]], info.ends[current[1]], "NAME"))
    return spans


def _load_pipeline(name: str | None) -> Any:
    import spacy

    if name is None:
        # The rule-based tokeniser alone: no model weights, nothing to download.
        return spacy.blank("en")
    try:
        nlp = spacy.load(name)
    except OSError:
        raise SpacyModelError(
            f"spaCy model '{name}' is not installed; install it with "
            f"'python -m spacy download {name}' (or pip install its package), "
            "or omit --spacy-model to redact with the built-in rules alone"
        ) from None
    finders = {"ner", "entity_ruler", "span_ruler"}
    if not finders & set(nlp.pipe_names):
        raise SpacyModelError(
            f"spaCy model '{name}' has no named-entity recogniser; choose a model with "
            "one (for example en_core_web_sm) or omit --spacy-model"
        )
    # Only the entity recogniser (and what feeds it) is needed: the tagger, parser and
    # lemmatizer would cost time and add nothing here.
    keep = finders | {"tok2vec", "transformer"}
    nlp.select_pipes(disable=[p for p in nlp.pipe_names if p not in keep])
    return nlp


def apply_spans(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced by its placeholder; everything else kept as it was."""
    pieces: list[str] = []
    last = 0
    for span in sorted(spans):
        pieces.append(text[last : span.start])
        pieces.append(placeholder(span.type))
        last = span.end
    pieces.append(text[last:])
    return "".join(pieces)


def _as_list(columns: str | Sequence[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


# ---------------------------------------------------------------------------
# Module-level helpers and files.
# ---------------------------------------------------------------------------

_DEFAULT: Redactor | None = None


def default_redactor() -> Redactor:
    """A shared rule-based Redactor redacting every type (built on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Redactor()
    return _DEFAULT


def find_spans(text: str) -> list[Span]:
    """Personal data in ``text`` found by the default rule-based Redactor."""
    return default_redactor().find_spans(text)


def redact_text(text: str) -> str:
    """``text`` redacted by the default rule-based Redactor."""
    return default_redactor().redact_text(text)


def redact_frame(frame: pd.DataFrame, text_column: str | Sequence[str]) -> pd.DataFrame:
    """``frame`` with its text column(s) redacted by the default rule-based Redactor."""
    return default_redactor().redact_frame(frame, text_column)


@dataclass
class RedactSummary:
    """What a redaction run did: counts only, never any text."""

    input: Path
    output: Path
    rows: int = 0
    rows_changed: int = 0
    empty_text: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Number of personal details replaced."""
        return sum(self.counts.values())


def _text_column_name(columns: Columns | str | None) -> str:
    if columns is None:
        return "text"
    if isinstance(columns, str):
        return columns
    return columns.text


def redact_file(
    input_path: str | Path,
    output_path: str | Path,
    columns: Columns | str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    safe_csv: bool = False,
    progress: Callable[[int], None] | None = None,
    *,
    redactor: Redactor | None = None,
    extra_columns: Sequence[str] = (),
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    header_row: int | None = None,
    delimiter: str | None = None,
) -> RedactSummary:
    """Write ``output_path``: ``input_path`` with personal data in the text column replaced.

    Same rows, same columns, same order, the header exactly as in the input; only
    the text column (and any ``extra_columns``, e.g. a free-text "learning" column)
    change. Streams in chunks and writes atomically, like ``tag_file``.
    """
    redactor = redactor or default_redactor()
    table = Table(
        input_path, encoding=encoding, sheet=sheet, header_row=header_row, delimiter=delimiter
    )
    out = check_output_path(output_path, input_path)
    text_column = _text_column_name(columns)
    if text_column not in table.columns:
        raise missing_column(text_column, table.columns, "--text-column")
    for extra in extra_columns:
        if extra not in table.columns:
            raise missing_column(extra, table.columns, "--also-column")
    targets = [text_column, *[c for c in extra_columns if c != text_column]]
    summary = RedactSummary(input=Path(input_path), output=out)
    counts: Counter[str] = Counter()
    with TableWriter(out, table.original_columns, safe_csv=safe_csv) as writer:
        for chunk in table.chunks(chunk_rows):
            redacted, chunk_counts, changed = redactor._redact_frame(chunk, targets)
            writer.write(redacted[table.columns])
            counts.update(chunk_counts)
            summary.rows += len(chunk)
            summary.rows_changed += changed
            summary.empty_text += sum(
                1 for v in chunk[text_column].tolist() if not cell_text(v).strip()
            )
            if progress is not None:
                progress(len(chunk))
    summary.counts = {t: counts[t] for t in TYPES if counts[t]}
    return summary


def redaction_label_drift(
    model: ThemesModel, texts: Sequence[str], redactor: Redactor | None = None
) -> dict[str, Any]:
    """How many texts get different suggestions once redacted (counts only, no text).

    Returns rows, rows_redacted (texts that had something to redact), kind_changed,
    category_changed, themes_changed, any_changed, and per-theme counts of themes
    gained and lost through redaction.
    """
    redactor = redactor or default_redactor()
    raw = [t if isinstance(t, str) else cell_text(t) for t in texts]
    redacted = redactor.redact_many(raw)
    before = model.predict(raw)
    after = model.predict(redacted)
    result: dict[str, Any] = {
        "rows": len(raw),
        "rows_redacted": sum(a != b for a, b in zip(raw, redacted, strict=True)),
        "kind_changed": 0,
        "category_changed": 0,
        "themes_changed": 0,
        "any_changed": 0,
        "themes_gained": {},
        "themes_lost": {},
    }
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for b, a in zip(before, after, strict=True):
        kind = b.kind != a.kind
        category = b.category != a.category
        themes = set(b.themes) != set(a.themes)
        result["kind_changed"] += kind
        result["category_changed"] += category
        result["themes_changed"] += themes
        result["any_changed"] += kind or category or themes
        gained.update(set(a.themes) - set(b.themes))
        lost.update(set(b.themes) - set(a.themes))
    result["themes_gained"] = dict(gained)
    result["themes_lost"] = dict(lost)
    return result
