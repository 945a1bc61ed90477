"""Word lists for finding names: titles, roles, family words, first names, stop words.

Everything is lower case; looked up with ``token.lower_``."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS as SPACY_STOP_WORDS


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


TITLES = word_set(
    """mr mrs ms miss mx dr prof professor rev revd reverend sir sirs dame mr. mrs. ms. dr.
    prof. rev. mstr master rt rt. hon hon. cllr"""
)
# Words for a job or office that are followed by the holder's name: "SW Karen",
# "social worker Karen Blake", "PC Okafor", "Judge Whitfield".
ROLE_WORDS = word_set(
    """worker sw csw ssw iro pa fsw tm manager officer advocate solicitor barrister
    teacher headteacher nurse hv visitor midwife gp doctor consultant paediatrician
    psychologist psychiatrist therapist counsellor practitioner adviser advisor assistant
    coordinator co-ordinator supervisor mentor chair chairperson investigator guardian
    carer keyworker senco dsl lead cllr councillor pc dc ds di dci sgt sergeant inspector
    constable judge hhj magistrate recorder receptionist interpreter caseworker director
    head carers parents grandparents adopters guardians"""
)
# Family and relationship words followed by a name: "my son Josh", "dad Lee".
FAMILY_WORDS = word_set(
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
HOUSEHOLD_WORDS = word_set(
    """family families children boys girls siblings household twins case matter brothers
    sisters kids"""
)
# Words that describe a person after a comma: "Marguerite Achebe, our SSW".
APPOSITION_WORDS = (ROLE_WORDS - {"head", "lead", "chair", "director"}) | word_set(
    """mum mother dad father nan grandmother grandfather grandma grandad aunt auntie uncle
    sister brother son daughter partner husband wife carer carers guardian"""
)
CLOSINGS = word_set(
    """thanks regards faithfully sincerely wishes love cheers respectfully truly signed
    thx ta"""
)
GREETINGS = word_set("dear hi hello hiya hey")
# Form fields that hold a person's name: "Child: Harvey Lomax", "Caller: Mr Kovacs".
NAME_FIELDS = word_set(
    """name child complainant caller client parent mother father carer contact applicant
    patient pupil student"""
)
CALLED_NOUNS = word_set(
    """lady man woman gentleman guy girl boy worker someone somebody person manager officer
    chap bloke fella one"""
)
MONTHS = word_set(
    """january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec"""
)
DAYS = word_set(
    """monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur
    thurs fri sat sun"""
)
# Capitalised words in this register that are never a person's name here: teams,
# services, procedures, documents, institutions, the council, festivals, greetings.
DOMAIN_WORDS = word_set(
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
STREET_SUFFIXES = word_set(
    """road rd street st avenue ave close lane ln drive dr way court ct crescent cres grove
    gardens gdns terrace tce place pl square sq walk row rise mews hill view park green
    parade vale croft fold gate wharf yard chase meadow meadows heights boulevard bank end
    side lea dene grange garth nook paddock approach quay hollow brow wynd circus common
    fields villas cottages buildings estate"""
)
# Words that end an organisation or place name rather than a person's ("Moorside Primary").
ORG_STRICT = word_set(
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
ORG_WORDS = ORG_STRICT | word_set("house hall lodge tower point station church cottage view ward")

# Given names, lower case, from many backgrounds (British, Irish, South Asian, African,
# Caribbean, Eastern European, Arabic, Turkish, Chinese and others). A capitalised word
# on this list is taken as a name even without a title or role word before it.
FIRST_NAMES = word_set(
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
AMBIGUOUS_NAMES = word_set(
    """will may june april august jan hope faith joy grace mark bill sue rose dawn summer
    autumn amber sunny frank guy pat rob ray miles chase drew grant penny crystal holly
    patience mercy precious blessing gift destiny harmony honour justice major king prince
    princess duke earl don art sky storm river ocean star jean charity christian angel
    india paris lincoln victoria sterling rich max mo ed al lance wade carol eve page
    sonny summer reading"""
)

NOT_NAME_WORDS = (
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
NAME_TOKEN = r"[A-ZÀ-ÖØ-Þ](?=[A-Za-zÀ-ÖØ-öø-ÿ'’]*[a-zß-öø-ÿ])[A-Za-zÀ-ÖØ-öø-ÿ'’]*+"
INITIAL = r"[A-Z]\.|[B-HJ-Z]"
NAME_TOKEN_RE = re.compile(rf"^(?:{NAME_TOKEN})$")
NAME_OR_INITIAL_RE = re.compile(rf"^(?:{NAME_TOKEN}|{INITIAL})$")
