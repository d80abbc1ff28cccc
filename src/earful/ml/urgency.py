"""Urgency with no labels: which harms a post tells of, and whether it tells of them happening now.

Each kind of harm (violence, threats, injury, accidents, danger...) has a weight; the harms a post
shows combine as 1 minus the product of their complements, so two together are more urgent than
either alone and the score never exceeds 1. Then what the post is doing with those words: a
football "robo", a joke with 😂, a film or a game, news or an old story, a question "what do you do
if...", a safety tip, or pay called "daylight robbery" is talk about harm, not harm happening to
someone now. Such a context multiplies the score by DAMPING and is named among the reasons
("damped by sports talk"). Words that only a real, present report uses ("at gunpoint", "bleeding",
"the police are here", "just now") outweigh a joke, sports, pay or a figure of speech, but not
news, a question, a tip or fiction, which tell of harm that is not happening to the writer.

English and Spanish, matched as regular expressions on accent-free lower-case text, whole words
only. About twenty searches a post: it runs on every post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from earful.ml.text import fold

# A post scoring at least this is "urgent": the level queues, the demo and bench/urgency.py use.
URGENT = 0.5
# What a context that is not a present report multiplies the score by.
DAMPING = 0.3

# reason -> weight. A reason alone at or above URGENT makes a post urgent.
WEIGHTS: dict[str, float] = {
    "violence": 0.8,
    "threat": 0.7,
    "injury": 0.7,
    "accident": 0.6,
    "danger": 0.5,
    "unsafe": 0.4,
    "police or ambulance": 0.4,
    "theft": 0.4,
    "fear": 0.3,
    "unwell": 0.3,
    "emergency": 0.3,
    "outage": 0.3,
}

_WEAPON = (
    r"(?:guns?|pistols?|handgun|revolver|rifle|shotgun|knife|knives|machete|baseball bat|bat|crowbar|"
    r"weapon|golf club|screwdriver|hammer|pistola|navaja|cuchillo|arma|machete|bate|barra|palo de golf|"
    r"fierro|destornillador|martillo|machete)"
)
_VEHICLE = (
    r"(?:car|van|truck|lorry|bus|taxi|cab|vehicle|cyclist|motorbike|scooter|suv|coche|carro|camion|auto|"
    r"taxi|autobus|camioneta|moto|furgo\w*)"
)
_BODY = (
    r"(?:wrist|arm|forearm|leg|legs|ankle|knee|rib|ribs|nose|finger|fingers|hand|foot|collarbone|back|"
    r"shoulder|neck|head|forehead|face|hip|elbow)"
)
_CUERPO = (
    r"(?:muneca|brazo|antebrazo|pierna|piernas|tobillo|rodilla|costilla|costillas|nariz|dedo|dedos|mano|pie|"
    r"clavicula|espalda|hombro|cuello|cabeza|cara|cadera|codo)"
)
_THINGS = (
    r"(?:phone|cell|wallet|purse|bag|backpack|keys|van|car|bike|scooter|scanner|tote|packages|parcels|cash|"
    r"celular|movil|telefono|cartera|billetera|mochila|bolsa|llaves|furgo\w*|camioneta|moto|coche|carro|"
    r"auto|bici\w*|paquetes|pedido|dinero|escaner)"
)
_PERSONAL = (
    r"(?:phone|cell|wallet|purse|bag|backpack|keys|van|car|truck|bike|scooter|celular|movil|telefono|cartera|"
    r"billetera|mochila|bolsa|llaves|furgo\w*|camioneta|moto|coche|carro|auto|bici\w*)"
)
_WEATHER = (
    r"(?:snow\w*|ice|icy|storm\w*|heat|rain\w*|hail\w*|granizad\w*|downpour|diluvio|aguacero|tromba|flood\w*|"
    r"wind|lightning|blizzard|fog|"
    r"calor|nieve|nevad\w*|hielo|helad\w*|tormenta|lluvia|granizo|viento|niebla|grados)"
)

# (reason, prone to figures of speech, patterns). Prone words are also said of pay and of the
# company ("the new rates are robbery", "Kestrel threatens to cut blocks"): a pay context damps
# them, and no other harm in the same post.
_CUES: list[tuple[str, bool, tuple[str, ...]]] = [
    (
        "violence",
        True,
        (
            r"robbed(?! (?:me|us|them|him|her) of)",
            r"robber(?:y|ies)",
            r"rob (?:you|me|him|her|us|them|drivers)",
            r"robos?",
            r"(?:me |nos |le |les )?(?:robaron|robo|roban) (?:el|la|los|las|mi|mis) " + _PERSONAL,
            # "Me robaron" alone is "I was robbed"; "me robaron el paquete" is a theft (below).
            r"(?:me|nos|le|les) robaron(?! (?:el|la|los|las|mi|mis|un|una|unos|unas|\d))",
            r"stole (?:my|the|his|her|our) " + _PERSONAL,
            r"atraco",
            r"atracos",
            r"(?:me |nos |le |lo |la )?atracaron",
            r"atracad[oa]s?",
            r"assault\w*",
            r"(?<!panic )(?<!heart )attack\w*",
        ),
    ),
    (
        "violence",
        False,
        (
            r"mugged(?! off)",
            r"mugging",
            r"jumped (?:me|him|her|us)",
            r"got jumped",
            r"jumped by",
            r"held (?:me )?up at (?:gun|knife) ?point",
            r"held me up",
            r"stick ?up",
            r"armed (?:robbery|man|men|guy|guys)",
            r"carjack\w*",
            r"punch\w*",
            r"beat (?:me|him|her) up",
            r"beaten(?: up)?",
            r"kicked me",
            r"hit me(?! up)",
            r"hit (?:me|him|her) with",
            r"stabb\w*",
            r"shot at",
            r"shots fired",
            r"shooting",
            r"gunshots?",
            r"gunfire",
            r"opened fire",
            r"fired (?:a gun|a shot|shots|at)",
            r"(?:got|was|been) shot",
            r"(?:gun|knife) ?point",
            r"(?:pulled|pointed|waved|drew|flashed|had|has|holding|held|with|swinging|came at me with|"
            r"showed me) "
            r"(?:a|an|his|her|their|out a)? ?" + _WEAPON,
            r"(?:gun|knife) (?:to|at) my",
            r"(?:pulled|pointed|waved|drew|flashed) (?:\w+ ){1,4}" + _WEAPON,
            r"(?:knife ?|gun ?)?fight broke out",
            r"brawl",
            r"pelea con (?:cuchillos|navajas|armas|botellas)",
            r"se (?:lio|armo) una pelea",
            r"reyerta",
            r"intent\w* (?:agarrar\w*|quitar\w*|arrebatar\w*|robar\w*|asaltar\w*|abrir (?:la|mi) (?:puerta|"
            r"furgo\w*))",
            r"pepper ?spray\w*",
            r"grabbed (?:me|my)",
            r"snatch\w*",
            r"yanked",
            r"strangl\w*",
            r"dragg?(?:ed|ing)? me",
            r"drag me",
            r"shoved me",
            r"pushed me",
            r"knocked me (?:down|over|to the ground|off)",
            r"threw me (?:down|to the ground|against)",
            r"pinned me",
            r"spat (?:on|at) me",
            r"ambushed",
            r"cornered me",
            r"smashed my (?:window|windshield|windscreen)",
            r"broke into my",
            r"tr(?:y|ied|ying) to (?:take|grab|snatch|steal|rob|open my|get into my|break into)",
            r"took my " + _THINGS,
            r"surrounded me",
            r"threw an? (?:brick|rock|stone|bottle)",
            r"split my lip",
            r"went for me",
            r"came at me",
            r"lunged",
            r"kidnap\w*",
            r"hostage",
            r"asalt\w*",
            r"encanon\w*",
            r"a punta de (?:pistola|navaja|cuchillo)",
            r"me pegaron",
            r"me peg[oa]n? (?:un|una) (?:punetazo|golpe|patada|bofetada|cachetada)",
            r"me golpe\w*",
            r"(?:lo|la|le|les|nos|me) golpearon",
            r"golpearon",
            r"paliza",
            r"golpiza",
            r"agredi\w*",
            r"agresion\w*",
            r"me empuj\w*",
            r"punetazo\w*",
            r"patadas? (?:a|en|al)",
            r"me agarr\w* (?:del|de la|el|la|por) (?:brazo|cuello|mano|pelo|camisa|chamarra|pantorrilla|"
            r"pierna|"
            r"espalda|hombro)",
            r"me rompieron (?:la|el) (?:ventanilla|vidrio|cristal|parabrisas)",
            r"(?:me|le|nos|les) (?:quitaron|arrebataron|quito|arrebato) (?:el|la|los|las|mi|mis) " + _THINGS,
            r"spiked (?:my|the|his|her) (?:drink|water|coffee)",
            r"(?:sacarme|arrastrarme|bajarme) (?:del|de la) (?:coche|carro|furgo\w*|camioneta|auto|moto)",
            r"me echaron algo en (?:el|la|mi)",
            r"me quitaron todo",
            r"(?:se llevaron|me quitaron) (?:la|el|mi) (?:furgo\w*|camioneta|moto|coche|carro|auto|bici)",
            r"arrebat\w*",
            r"(?:dieron|dio|pegaron) un tiron",
            r"me tiraron al suelo",
            r"me derrib\w*",
            r"gas pimienta",
            r"balazos?",
            r"balacera",
            r"disparos?",
            r"dispar(?:aron|o|ando)",
            r"tiroteo\w*",
            r"(?:intentaron|quisieron|intentan|me intentaron) (?:robar\w*|quitar\w*|asaltar\w*)",
            r"me rodearon",
            r"me (?:tiraron|lanzaron) una (?:piedra|botella)",
            r"me apunt\w* con",
            r"(?:saco|sacaron|apunto|con|tenia|tiene|llevaba|lleva|mostro|enseno) (?:un|una|el|la)? ?"
            + _WEAPON,
            r"swung at (?:me|him|her)",
            r"took a swing",
            r"(?:socked|decked|clocked|headbutt\w*|elbowed|kneed|choked|throttled|slammed) me",
            r"stomped on",
            r"mauled",
            r"forced me (?:out|into|to the ground|inside)",
            r"held me down",
            r"masked (?:man|men|guy|guys|people)",
            r"drove off with (?:my|the|our) (?:van|car|truck|bike|scooter)",
            r"grabbed (?:my|her|his) (?:hair|arm|neck|throat|wrist)",
            r"pulled me (?:inside|in|into|out|down|off)",
            r"me (?:solto|dio|pego|metio|dieron|pegaron|metieron|soltaron|metio) (?:un|"
            r"una) (?:golpe(?! bajo)|punetazo|patada|"
            r"cabezazo|codazo|rodillazo|bofeton|guantazo|hostia|tortazo|madrazo|chingadazo|cachetada|"
            r"bofetada)",
            r"(?:le|les|lo|la|me|nos) (?:pegaban|pegaron|pegan|estaban pegando|golpeaban)",
            r"pegandole",
            r"me estamp\w* contra",
            r"me jal\w* (?:del|de la|de los)",
            r"me arrastr\w*",
            r"me sacaron (?:de la|del) (?:furgo\w*|coche|carro|camioneta|camion|auto|moto)",
            r"me (?:parti|partio|partieron) (?:el labio|la cara|la nariz|la ceja)",
            r"labio partido",
            r"ceja partida",
            r"me metio para dentro",
            r"(?:meterme|entrar|meter|sacarme) a la fuerza",
            r"se me (?:echaron|tiraron) encima",
            r"me atac\w*",
            r"(?:la|lo|le|les|nos) atac\w*",
            r"apunal\w*",
            r"acuchill\w*",
            r"navajazo",
            r"punalada",
            r"secuestr\w*",
            r"encapuchad\w*",
            r"me escupi\w*",
        ),
    ),
    (
        "violence",
        True,
        (r"slapped", r"slap in the face", r"bofetada\w*", r"bofeton\w*"),
    ),
    (
        "theft",
        True,
        (
            r"robaron (?:el|la|los|las|mi|mis|un|una|unos|unas|\d)",
            r"stole",
            r"stolen",
            r"steal\w*",
            r"theft",
            r"robando",
            r"robar",
            r"robado",
            r"roba",
            r"roban",
        ),
    ),
    (
        "threat",
        True,
        (r"threaten\w*", r"threats", r"amenaz\w*"),
    ),
    (
        "threat",
        False,
        (
            r"death threat\w*",
            r"threat (?:from|against)",
            r"said (?:he|she|they)(?:'d| would| will| was going to| were going to) "
            r"(?:kill|hurt|shoot|stab|beat|get)",
            r"(?:he|she|they)(?:'ll| will| would|'d|'s going to| is going to|'s gonna| is gonna) "
            r"(?:kill|hurt|break|smash|beat|shoot|stab|get) (?:me|my|you|your)",
            r"(?:kill|hurt|stab) me",
            r"shoot me(?! (?:a|an) )",
            r"(?:going to|gonna) (?:hurt|kill|beat|stab|shoot) (?:me|you)",
            r"follow(?:ed|ing) (?:me|my (?:van|car|truck|bike))",
            r"(?:siguio|siguieron|seguia|seguian) (?:a )?(?:mi|la) (?:furgo\w*|camioneta|coche|carro|moto|"
            r"bici)",
            r"(?:watching|staring at) me from",
            r"mirandome desde",
            r"told me (?:he|she|they) (?:had|would|will|'d|was going to) \w+",
            r"me dijo que (?:tenia|me iba a|me va a|si vuelvo)",
            r"been following",
            r"tail(?:ing|ed)? me",
            r"stalk\w*",
            r"(?:been |was |were |kept |keeps |is )?circling (?:me|my van|my car|around me)",
            r"harass\w*",
            r"intimidat\w*",
            r"exposed himself",
            r"finish the job",
            r"(?:know|knows|conoce|sabe) (?:where i|my|mi|donde) "
            r"(?:route|address|van|live|park|ruta|direccion|furgo\w*|vivo|aparco)",
            r"knows? where i (?:park|live)",
            r"run me off",
            r"road rage",
            r"chas(?:ed|ing) me",
            r"slashed (?:my|her|his|the) (?:tires|tyres)",
            r"keyed my",
            r"(?:wouldn'?t|won'?t) let me (?:leave|go|out)",
            r"blocked (?:me|my van|my car) in",
            r"me (?:va|van|iba|iban) a (?:matar|pegar|romper|partir|reventar|dar una paliza)",
            r"(?:te|le) (?:voy|vamos|va) a (?:matar|partir|romper|reventar|pegar)",
            r"me (?:rompe|parte|revienta|mata) (?:las|la|el|los)",
            r"me (?:lleva|llevan|esta|estan|viene|vienen|iba|venia) siguiendo",
            r"me (?:siguio|siguieron)",
            r"me sigue (?:un|una|el|la) (?:tipo|hombre|senor|coche|carro|auto|moto|camioneta)",
            r"me persigu\w*",
            r"(?:lo|la|le|nos) persigu\w*",
            r"me acos\w*",
            r"acoso",
            r"intimid\w*",
            r"la estaban esperando",
            r"se exhibio",
            r"me (?:cerraron|cerro) el paso",
            r"no me dejaba(?:n)? (?:salir|irme|pasar)",
            r"me encerr\w*",
            r"pincharon (?:las|la) (?:\w+ )?ruedas?",
            r"(?:punctured|slashed|let down) (?:all )?(?:\w+ )?(?:of )?(?:my|her|his|the) (?:tires|tyres)",
            r"me sac\w* de la carretera",
        ),
    ),
    (
        "injury",
        False,
        (
            r"injur\w*",
            r"(?:got|get|was|were|been|i'?m|is|am|badly|seriously|really) hurt",
            r"hurt (?:my|his|her) " + _BODY,
            r"bleed\w*(?! (?:money|customers|cash|drivers|clients|points))",
            r"blacked out",
            r"scald\w*",
            r"lacerations?",
            r"torn (?:ligament|muscle|acl)",
            r"tingling",
            r"electrocut\w*",
            r"crushed (?:my|his|her|between|against|under)",
            r"pinned (?:between|against|under)",
            r"can (?:barely|hardly) (?:breathe|walk|stand|move)",
            r"can'?t get up",
            r"stuck (?:in|inside) (?:the back of )?(?:the |a |my )?(?:van|truck|box truck|container|trailer|"
            r"freezer|"
            r"lift|elevator)",
            r"blood",
            r"bloodied",
            r"(?:in|at) (?:the )?hospital",
            r"(?:to|went to|going to|taken to|rushed to) (?:the )?(?:hospital|er|a&e|urgent care)",
            r"hospitali[sz]ed",
            r"ambulance",
            r"paramedics?",
            r"a&e",
            r"urgent care",
            r"the er",
            r"broke my",
            r"broken " + _BODY,
            r"(?:my|his|her) " + _BODY + r" (?:is|was|got) (?:cut|broken|bleeding|swollen|bruised|crushed)",
            r"fractur\w*",
            r"sprain\w*",
            r"dislocat\w*",
            r"twisted my " + _BODY,
            r"concussion",
            r"stitch(?:es|ed)",
            r"cut open",
            r"gash\w*",
            r"wounded",
            r"wounds",
            r"(?:a|an|the|open|deep|puncture) wound",
            r"punctures?",
            r"bruis\w*",
            r"bitten",
            r"bit (?:me|my " + _BODY + r")",
            r"bit by (?:a|an|the|his|her|their|that|this|some)",
            r"got bit",
            r"dog bites?",
            r"bites? (?:you|me)",
            r"stung",
            r"swelling",
            r"swollen",
            r"burn(?:ed|t|s)? my",
            r"eyes (?:are )?burning",
            r"whiplash",
            r"passed out",
            r"(?:he|she|i|driver|coworker|colleague|someone|guy|man|woman) collapsed",
            r"collapsed (?:in|at|on|while)",
            r"fainted",
            r"fainting",
            r"unconscious",
            r"knocked out",
            r"out cold",
            r"(?:is|was|lying|he'?s|she'?s) unresponsive",
            r"(?:lying|he'?s|she'?s|is) on the (?:ground|floor)",
            r"can'?t feel",
            r"can'?t (?:put weight|walk|stand|move my)",
            r"chest (?:pains?|is tight)",
            r"heart attack",
            r"seizure",
            r"allergic reaction",
            r"anaphyla\w*",
            r"heat ?stroke",
            r"sunstroke",
            r"heat exhaustion",
            r"hypotherm\w*",
            r"frostbite",
            r"threw up",
            r"vomit\w*",
            r"dizzy",
            r"seeing double",
            r"blurry vision",
            r"vision is blurry",
            r"road rash",
            r"cut my (?:hand|arm|leg|head|finger|face)",
            r"hit my head",
            r"(?:in )?agony",
            r"excruciating",
            r"can'?t move my",
            r"(?:a|deep|bad|nasty) cut on (?:my|his|her) " + _BODY,
            r"(?:gave way|collapsed) under me",
            r"can'?t (?:pull|get) (?:it|my \w+) out",
            r"me (?:rompi|torci|disloque|queme|corte|golpee|lastime|lesione|fracture|parti|abri|reviente) "
            r"(?:el|la|los|las) " + _CUERPO,
            r"lastimad[oa]",
            r"me lastim\w*",
            r"se hundio conmigo",
            r"conmigo (?:dentro|encima)",
            r"no (?:puedo|podia) sacar(?:la|lo|me)",
            r"hit (?:his|her|their) head",
            r"head injury",
            r"se dio (?:un golpe )?en la cabeza",
            r"golpe en la cabeza",
            r"(?:he'?s|she'?s|is|isn'?t|not) (?:not )?moving",
            r"no se mueve",
            r"(?:fell|came down|landed) on (?:top of )?(?:my|a|the|his|her) (?:coworker|co-worker|colleague|"
            r"mate|him|her|me)",
            r"hit (?:my|a|the) (?:coworker|co-worker|colleague|mate)",
            r"encima de (?:un|una|mi) (?:companer[oa]|trabajador\w*)",
            r"numb",
            r"can'?t breathe",
            r"(?:i|he|she|they|we) (?:fell|slipped|tripped)",
            r"fell (?:down|off|from|through|into) (?:a |the |my |some )?(?:\w+ )?"
            r"(?:stairs|steps|step|ladder|van|truck|bike|scooter|roof|dock|ramp|curb|kerb|floor|porch|hole|"
            r"manhole)",
            r"slipped (?:on|and|off)",
            r"herid\w*",
            r"sangr(?!ia)\w*(?! (?:dinero|clientes))",
            r"tropec\w*",
            r"deshidratad\w*",
            r"entumecid\w*",
            r"(?:brazo|mano|pierna) dormid[oa]",
            r"calambre al tocar",
            r"me dio (?:la )?corriente",
            r"aplastad[oa]",
            r"me aplast\w*",
            r"no me puedo (?:levantar|mover)",
            r"no puedo levantarme",
            r"me (?:corte|corto|cortaron) (?:la|el|los|las) " + _CUERPO,
            r"tengo (?:el|la|los|las) "
            + _CUERPO
            + r" (?:rot[oa]s?|partid[oa]s?|hinchad[oa]s?|abiert[oa]s?|sangrando)",
            r"me (?:parti|torci|disloque|abri|queme|golpee) (?:el|la)",
            r"urgencias",
            r"ambulancia",
            r"paramedicos?",
            r"(?:en el|al|del) hospital",
            r"hospitaliz\w*",
            r"(?:voy|fui|ir|llevaron|estoy|me llevan) (?:a|al|en|en el) (?:la )?(?:clinica|centro de salud|"
            r"mutua)",
            r"mordi\w*",
            r"muerde\w*",
            r"me clav\w* (?:los dientes|un|una|el|la)",
            r"me rompi",
            r"(?:roto|rota) (?:el|la)? ?" + _CUERPO,
            _CUERPO + r" (?:rota|roto|abierta|abierto|hinchada|hinchado|sangrando)",
            r"esguince",
            r"disloc\w*",
            r"luxacion",
            r"me torc\w* (?:el|la)",
            r"torcedura",
            r"me hice (?:un|una) (?:corte|herida|esguince)",
            r"me hice dano",
            r"(?:un )?corte (?:profundo|enorme|grande|en la|en el)",
            r"contusion\w*",
            r"moreton\w*",
            r"puntos de sutura",
            r"tengo puntos",
            r"me (?:pusieron|dieron) puntos",
            r"desmay\w*",
            r"me desplom\w*",
            r"inconsciente",
            r"sin reaccionar",
            r"no reacciona",
            r"tirad[oa] en el suelo",
            r"golpe de calor",
            r"insolacion",
            r"hipotermia",
            r"mareos?",
            r"me (?:dio|da|dan) (?:un )?mareo",
            r"(?:estoy|me siento|ando|iba)(?: \w+){0,3} mare(?:ado|ada)",
            r"me maree",
            r"taquicardia",
            r"dolor de pecho",
            r"infarto",
            r"convulsion\w*",
            r"reaccion alergica",
            r"latigazo",
            r"hinchazon",
            r"se me (?:esta )?hinch\w*",
            r"me cai",
            r"me he caido",
            r"se cayo (?:por|de|desde) (?:la|las|una|unas|el|los) (?:escalera\w*|moto|bici\w*|furgo\w*|"
            r"camion\w*|"
            r"rampa|muelle|techo|tejado|plataforma)",
            r"se cayo (?:levantando|al suelo)",
            r"me resbal\w*",
            r"me di en la cabeza",
            r"quemadura\w*",
            r"me queme",
            r"me picaron",
            r"picadura\w*",
            r"no (?:siente|siento) (?:las|los|la|el)",
            r"no puedo (?:apoyar|caminar|andar|mover el|mover la|respirar)",
            r"congelacion",
            r"viendo doble",
            r"veo borroso",
            r"me corte",
            r"carne viva",
            r"lesion\w*",
            r"lesionad\w*",
            r"me tumb\w* de (?:la )?(?:bici|moto|bicicleta)",
        ),
    ),
    (
        "accident",
        False,
        (
            r"(?<!by )(?<!by an )(?<!no )(?<!zero )accidents?",
            r"collisions?",
            r"collided",
            r"crash(?:ed)? into",
            r"crashed (?:my|the|our|her|his) (?:van|car|bike|truck)",
            r"(?:car|van|road|bike|motorbike|truck|bus) crash",
            r"(?:in|was in|had) a crash",
            r"rear.?ended",
            r"t.?boned",
            r"sideswip\w*",
            r"hit by an? (?:\w+ )?" + _VEHICLE,
            r"knocked (?:me )?off (?:my )?(?:bike|scooter|motorbike|moped)",
            r"came off (?:my|the) (?:bike|scooter|motorbike|moped)",
            r"(?:flew|went) over the handlebars",
            r"doored",
            r"(?:got|was|been|nearly|almost|get) run over",
            r"spun out",
            r"skidd?ed",
            r"slid (?:on|off|into)",
            r"went into (?:a|the) (?:ditch|wall|tree|hedge|river|barrier)",
            r"hit (?:the|a) (?:barrier|wall|tree|pole|lamppost|curb|kerb|guardrail|guard rail|railing)",
            r"fishtail\w*",
            r"went off the road",
            r"me di contra (?:el|la|un|una)",
            r"cole[oa]",
            r"me saco de la (?:rotonda|carretera|calle|via|autopista|autovia)",
            r"(?:backed|reversed) into",
            r"pile.?up",
            r"fender.?bender",
            r"(?:van|car|truck|it) (?:flipped|overturned)",
            r"on its (?:side|roof)",
            r"jackknif\w*",
            r"airbags?",
            r"totall?ed",
            r"rolled (?:over|away)",
            r"(?:tyre|tire) blew",
            r"blow.?out",
            r"smashed into",
            r"clipped me",
            r"hit.and.run",
            r"(?<!por )(?<!sin )accidente\w*",
            r"choques?(?! de (?:horarios|turnos|bloques|intereses))",
            r"chocaron",
            r"chocar",
            r"chocamos",
            r"choco (?:contra|con)",
            r"atropell\w*",
            r"embisti\w*",
            r"me arroll\w*",
            _VEHICLE + r" me (?:cerro|corto|rozo|pego|dio|embistio|arrollo|golpeo|tumbo)",
            r"me roz\w*",
            r"me abrieron la puerta",
            r"patin(?:o|e|aron|amos|ando|azo)",
            r"derrap\w*",
            r"volc(?:o|ada|ado|aron|amos)",
            r"volque",
            r"se (?:salio|salieron) de la carretera",
            r"me (?:sali|fui) de la carretera",
            r"se dio a la fuga",
            r"me fui contra",
            r"(?:me )?(?:dieron|dio|dan|dar|pegaron|pego) (?:un golpe )?por detras",
            r"sali (?:volando|disparad[oa])",
            r"siniestro",
        ),
    ),
    (
        "danger",
        False,
        (
            r"black ice",
            r"sheet ice",
            r"ice storm",
            r"icy (?:road|roads|steps|stairs)",
            r"flooded(?! with)",
            r"flood ?water\w*",
            r"flooding",
            r"lightning",
            r"tornado",
            r"blizzard",
            r"whiteout",
            r"landslide",
            r"earthquake",
            r"trapped (?:in|inside) (?:the |a |my )?(?:van|back|truck|lift|elevator|container|trailer|"
            r"building|car|"
            r"cab|freezer)",
            r"locked in (?:the|a|my) (?:van|truck|back|room|building|container|trailer|cage|freezer)",
            r"stuck in (?:the )?(?:snow|mud|ditch|flood|water)",
            r"caught fire",
            r"(?:van|truck|car|building|station|warehouse|engine|battery|bike|scooter|kitchen|house)(?:'s|"
            r" is| was)?"
            r" on fire",
            r"fire broke out",
            r"smoke (?:coming|pouring)",
            r"sparking",
            r"sparks",
            r"exposed wires?",
            r"live wires?",
            r"electric shock",
            r"smell(?:ed|ing|s)? (?:of )?gas",
            r"gas leak",
            r"gas smell",
            r"smells? like gas",
            r"huele (?:mucho |tanto )?a gas",
            r"monoxid\w*",
            r"evacu\w*",
            r"(?:water|floodwater)(?:'s| is)? (?:rising|coming in|pouring in|up to)",
            r"(?:el )?agua (?:sube|subiendo|llega|entra|entrando)",
            r"carbon monoxide",
            r"chemical (?:spill|leak)",
            r"vertido quimico",
            r"fuga quimica",
            r"vapores (?:toxicos|quimicos|de)",
            r"pedal (?:goes|went) to the floor",
            r"brake warning",
            r"el pedal se hunde",
            r"testigo de (?:los )?frenos",
            r"(?<!on )fumes",
            r"brakes? (?:failed|went|gone|not working|stopped working)",
            r"no brakes",
            r"steering (?:wheel )?(?:locked|failed)",
            r"(?:nearly|almost) (?:got )?(?:crushed|hit|crashed|killed|pinned|ran me|run over|flattened)",
            r"near miss\w*",
            r"close call",
            r"(?:fire|emergency) exits? (?:is |are |was )?(?:chained|blocked|locked)",
            r"(?:chained|blocked|locked) (?:fire|emergency) exit",
            r"no working (?:fire|emergency) exit",
            r"chained shut",
            r"door is chained",
            r"tree (?:came|fell) down",
            r"with me (?:in|inside) it",
            r"inundad[oa]s?(?! de)",
            r"inundacion\w*",
            r"riada",
            r"incendio",
            r"fuego",
            r"(?<!que echo )(?<!que echa )humo",
            r"se prendio",
            r"en llamas",
            r"chispas",
            r"cables (?:pelados|expuestos|sueltos)",
            r"descarga electrica",
            r"calambrazo",
            r"olor a (?:gas|gasolina|quemado)",
            r"fuga de gas",
            r"derrumbe",
            r"terremoto",
            r"sismo",
            r"(?:encerrad[oa]|atrapad[oa]) (?:en|dentro de) (?:la|el) (?:caja|furgo\w*|camion\w*|camioneta|"
            r"nave|almacen|"
            r"contenedor|trailer|remolque|ascensor|camara)",
            r"me (?:quede|quedo) (?:encerrad[oa]|atrapad[oa])",
            r"casi me (?:aplasta\w*|da|mata\w*|choca\w*|pega\w*|cae|lleva|arrolla|pilla|como)",
            r"por poco me (?:aplasta\w*|atropella\w*|lleva|arrolla|mata|pilla)",
            r"casi choco",
            r"(?:se me fueron|fallaron|sin) (?:los )?frenos",
            r"no agarra el freno",
            r"revent\w* (?:una|la) (?:rueda|llanta)",
            r"salida de emergencia (?:\w+ ){0,3}(?:cerrada|bloqueada|con cadena)",
            r"(?:cayo|se cayo) un arbol",
            r"se me cayo encima",
        ),
    ),
    (
        "unsafe",
        False,
        (r"unsafe", r"dangerous", r"not safe", r"peligro", r"peligros[oa]s?", r"insegur\w*"),
    ),
    (
        "police or ambulance",
        False,
        (
            r"call(?:ed|ing)? 9-?1-?1",
            r"call(?:ed|ing)? 999",
            r"(?:911|999|112) (?:called|has been called|is on the way|on the way)",
            r"call(?:ed|ing)? (?:the )?(?:police|cops)",
            r"called an ambulance",
            r"polices? (?:are|is|were) (?:here|on (?:the|their) way|coming)",
            r"cops (?:are )?(?:here|on (?:the|their) way|coming)",
            r"police report",
            r"reported (?:it )?to (?:the )?police",
            r"animal control",
            r"firefighters",
            r"fire (?:brigade|department|crew)",
            r"cutting (?:him|her|me|them) out",
            r"(?:llame|llamamos|llamar|llamo|llamaron|llama) (?:a la policia|al 112|al 911|al 091|al 092)",
            r"patrulla\w*",
            r"comisaria",
            r"denuncia",
            r"bomberos",
            r"sanitarios",
        ),
    ),
    (
        "fear",
        False,
        (
            r"scared",
            r"terrified",
            r"shaking",
            r"hiding",
            r"asustad\w*",
            r"tengo miedo",
            r"me da miedo",
            r"temblando",
            r"escondid\w*",
            r"me escondi",
            r"esconder\w*",
            r"had to hide",
        ),
    ),
    (
        "unwell",
        False,
        (
            r"headache",
            r"feel(?:ing)? sick",
            r"nause\w*",
            r"hurts",
            r"me duelen?",
            r"nauseas",
            r"dolor de cabeza",
        ),
    ),
    (
        "emergency",
        False,
        (
            r"emergency",
            r"urgent",
            r"help now",
            r"help me",
            r"sos",
            r"first aid",
            r"aed",
            r"defib\w*",
            r"emergencia",
            r"urgente",
            r"auxilio",
            r"primeros auxilios",
            r"desfibrilador",
        ),
    ),
    (
        "outage",
        False,
        (
            r"app is down",
            r"app down",
            r"outage",
            r"nobody can log in",
            r"no one can log in",
            r"not working for anyone",
            r"everyone is locked out",
            r"servers down",
            r"app caida",
            r"se cayo la app",
            r"no funciona para nadie",
            r"caida del sistema",
        ),
    ),
]

# A body part and what happened to it, a few words apart: "two fingers might be broken", "tengo dos
# dedos rotos". The body part must be someone's ("my hand", "la mano"), not "the hand scanner".
_DAMAGE_EN = (
    r"(?:broken|bleeding|cut open|scratched|swollen|crushed|burn(?:ed|t)|bruised|twisted|dislocated|numb|"
    r"mangled|smashed|ripped open)"
)
_DAMAGE_ES = (
    r"(?:rot[oa]s?|sangrando|hinchad[oa]s?|aplastad[oa]s?|quemad[oa]s?|torcid[oa]s?|"
    r"dislocad[oa]s?|partid[oa]s?|fracturad[oa]s?)"
)
_HURT_BODY = (
    r"(?:my|his|her|their|both|two|three|four|\d+) (?:\w+ )?(?:" + _BODY + r"|fingers?|toes?)"
    r"(?! (?:scanner|held|truck|door|seat|office|id|rest|brake|light|lights|mirror|tyre|tire|wheel|phone))"
    r"(?: \w+){0,4} " + _DAMAGE_EN,
    r"(?:mi|mis|su|sus|el|la|los|las|dos|tres) " + _CUERPO + r"(?: \w+){0,4} " + _DAMAGE_ES,
    r"(?:me (?:abrio|rompio|destrozo|aplasto|quemo|corto)) (?:el|la|los|las|mi|mis) " + _CUERPO,
    r"(?:scratched|cut|ripped|tore|sliced|split|gashed) (?:open )?(?:my|his|her) " + _BODY,
)

# Weather is danger when the post says the driver is caught in it: both must be there.
_CAUGHT_OUT = (
    r"stuck",
    r"stranded",
    r"spun",
    r"skidd?\w*",
    r"slid\w*",
    r"can'?t see",
    r"no signal",
    r"trapped",
    r"keep going",
    r"keep delivering",
    r"(?:still|they) sen[dt] us",
    r"temperature (?:is )?(?:dropping|falling)",
    r"atascad\w*",
    r"atrapad\w*",
    r"varad\w*",
    r"sin cobertura",
    r"sin senal",
    r"no veo",
    r"(?:me|nos) (?:dicen|obligan) (?:que|a) (?:siga|sigamos|termine|terminemos|salir)",
    r"siguen mandando",
    r"temperatura (?:esta )?bajando",
)

# What tells that a harm is not happening to someone now. (label, outweighed by a present report,
# patterns). A figure of speech ("es un robo") and a pay complaint are apart: they damp only theft
# words (see _CUES), since they say nothing of a punch or a dog bite in the same post.
_CONTEXTS: list[tuple[str, bool, tuple[str, ...]]] = [
    (
        "joking tone",
        True,
        (
            r"😂",
            r"🤣",
            r"😆",
            r"😹",
            r"😅",
            r"🙃",
            r"lol\w*",
            r"lmf?ao\w*",
            r"rofl",
            r"ja(?:ja)+\w*",
            r"ha(?:ha)+\w*",
            r"je(?:je)+\w*",
            r"xd",
            r"just kidding",
            r"(?<!not )(?<!not even )kidding",
            r"es broma",
            r"de broma",
            r"bromeando",
            r"not literally",
            r"no literal\w*",
        ),
    ),
    (
        "sports talk",
        True,
        (
            r"referee\w*",
            r"refs",
            r"officiating",
            r"arbitraje",
            r"var",
            r"boxing",
            r"boxeo",
            r"ufc",
            r"mma",
            r"the ref",
            r"arbitr\w*",
            r"penalt\w*",
            r"offside",
            r"fuera de lugar",
            r"linesman",
            r"linier",
            r"goals?",
            r"gol(?:es|azo)?",
            r"(?:el|del|al|un|los|ese|este|esos|vio|viste|ver|vimos) partidos?",
            r"(?:the|that|last|this|a) match",
            r"the game",
            r"ligas?",
            r"league",
            r"football",
            r"futbol\w*",
            r"soccer",
            r"derby",
            r"stadium",
            r"estadio",
            r"⚽",
            r"🏈",
            r"🏀",
            r"⚾",
            r"mi equipo",
            r"el equipo de",
            r"(?:my|our) team (?:got|was|lost|won)",
            r"last.minute",
            r"ultimo minuto",
            r"injury time",
            r"stoppage time",
            r"tiempo de descuento",
        ),
    ),
    (
        "film, series or game",
        False,
        (
            r"movies?",
            r"documentar\w*",
            r"docu",
            r"films?",
            r"pelis?",
            r"peliculas?",
            r"(?:the|a|that|this|new|tv|netflix) series(?! of)",
            r"(?:la|una|esa|esta|nueva) serie(?! de (?:robos|asaltos|ataques|accidentes))",
            r"(?:new|last|latest|next|final|first) episode",
            r"episodes? \d+",
            r"season \d+",
            r"(?:nuevo|ultimo|primer) episodio",
            r"episodio \d+",
            r"temporada \d+",
            r"(?:movie|film|chase|fight|heist|robbery|crash|bank|action) scenes?",
            r"scenes? (?:in|from) (?:the|a|that|this) (?:movie|film|show|series|game)",
            r"escenas? (?:de|del) (?:la )?(?:peli\w*|serie|juego)",
            r"netflix",
            r"(?:movie|film|new|official) trailer",
            r"(?:el|un) trailer de",
            r"thriller",
            r"novels?",
            r"novelas?",
            r"(?:a|the|this|that) book",
            r"libros?",
            r"vi (?:la|el|una|un)",
            r"cinema",
            r"cine",
            r"video ?games?",
            r"videojuegos?",
            r"gaming",
            r"playing (?:gta|fortnite|rust|cod|call of duty|video ?games?|games?)",
            r"playing on (?:the|my) (?:ps5|xbox|playstation|switch)",
            r"jugando (?:al|a la|a los|videojuegos|en la play)",
            r"gta",
            r"fortnite",
            r"xbox",
            r"playstation",
            r"ps5",
            r"heist",
        ),
    ),
    (
        "news or past event",
        False,
        (
            r"news",
            r"articles?",
            r"articulos?",
            r"noticias?",
            r"periodico\w*",
            r"newspapers?",
            r"in the paper",
            r"(?:on|en) (?:the|la) radio",
            r"traffic (?:report|news|update)",
            r"(?:radio|tv|tele|news) (?:says|said|dice|dicen)",
            r"(?:there'?s|there is|there was|hay|hubo) (?:been )?(?:a|an|un|una) (?:crash|accident|pile.?up|"
            r"accidente|"
            r"choque) (?:on|at|en) (?:the|la|el)",
            r"(?:couriers|drivers|riders|insurers|officials|police|experts|residents|authorities|"
            r"researchers|studies|data) (?:say|said|says|show|shows)",
            r"according to (?:the )?(?:police|officials|reports?|a study|data|figures)",
            r"segun (?:la policia|las autoridades|fuentes|el informe|los datos|un estudio|la empresa)",
            r"(?:dicen|dijeron|afirman|informo|informa|senalan) (?:los|las) (?:repartidores|autoridades|"
            r"aseguradoras|expertos|vecinos)",
            r"reportaje",
            r"headlines?",
            r"stats",
            r"statistics",
            r"estadisticas?",
            r"cifras",
            r"informes?",
            r"titular",
            r"years? ago",
            r"hace (?:\w+ )?anos?",
            r"(?:last|el|este) (?:year|summer|winter|ano pasado|verano pasado|invierno pasado)",
            r"ano pasado",
            r"back in (?:19|20)\d\d",
            r"(?:in|en) (?:19|20)\d\d",
            r"remember when",
            r"months? ago",
            r"last month",
            r"(?:el|hace un) mes pasado",
            r"hace (?:\w+ )?meses",
            r"(?:se|te) acuerdan?",
            r"recuerdan",
            r"throwback",
            r"story time",
            r"anecdota",
        ),
    ),
    (
        "question or hypothetical",
        False,
        (
            r"what (?:do|would|should|can) (?:you|we|drivers|people) do (?:if|when|after)",
            r"what to do (?:if|after|when)",
            r"what happens if",
            r"if (?:someone|somebody) (?:ever |tries|pulls|attacks|robs|threatens)",
            r"if you(?:'re| are)? (?:ever|get|gets)",
            r"if (?:a|the|your) [\w']+(?: [\w']+)? (?:ever|bites|attacks|threatens|tries)",
            r"if (?:there'?s ever|ever)",
            r"hypothetically",
            r"does kestrel cover",
            r"asking (?:before|for a friend)",
            r"just (?:want|wanted) to know",
            r"(?:hasn'?t|not|never) happened",
            r"que (?:hacer|hacen|haceis|hacemos|pasa) (?:si|tras|despues|cuando|con)",
            r"(?:procedure|protocol|process|policy|procedimiento|protocolo|proceso|politica) (?:is |es )?"
            r"(?:if|si|for|para|when|cuando|en caso)",
            r"(?:in case of|en caso de)",
            r"si (?:tienes|tengo|tenemos|teneis|tienen|te pasa|pasa algo|hay un|te toca)",
            r"si (?:te|algun dia|un perro|un cliente|os)",
            r"si alguien (?:te|os|les|intenta)",
            r"hipoteticamente",
            r"(?:is|are) (?:\w+ ){0,3}legal",
            r"es legal",
            r"no me ha pasado",
            r"solo quiero saber",
            r"por curiosidad",
            r"someone asked",
            r"alguien pregunto",
        ),
    ),
    (
        "advice or training",
        False,
        (
            r"tips?:",
            r"tips? for",
            r"safety tip\w*",
            r"pro ?tip",
            r"consejos?",
            r"never (?:reach|fight|go|leave|open|argue|resist)",
            r"always (?:lock|carry|leave|take)",
            r"hand it over",
            r"entrega(?:lo|d)? todo",
            r"nunca (?:metan|metas|pelees|discutas|te resistas|abras)",
            r"fire drill",
            r"simulacro",
            r"training",
            r"(?<!of )course",
            r"(?:un|el) curso",
            r"curso (?:de|rapido|online)",
            r"formacion",
            r"reminder",
            r"remember:",
            r"recordad",
            r"recuerden",
            r"(?:accident|incident|injury) (?:reporting |report )?(?:form|forms|paperwork)",
            r"formularios? de (?:accidentes?|incidentes?)",
            r"(?:avoid|avoiding|prevent|preventing|evitar|prevenir) (?:\w+ )?(?:injur\w*|lesion\w*|"
            r"accident\w*|bites?|"
            r"mordeduras?|robos?|robberies)",
            r"videos? (?:about|on|sobre|de)",
            r"recordatorio",
            r"webinar",
            r"(?<!guide )guide(?! dog)",
            r"guia",
        ),
    ),
    (
        "said figuratively",
        False,
        (
            r"metaphorically",
            r"figuratively",
            r"es un decir",
            r"en sentido figurado",
            r"(?:i'?d|i would|would) rather (?:get|be)",
            r"prefiero que me",
            r"(?:nearly|almost) killed me (?:with|by)",
            r"casi me mata de",
        ),
    ),
    (
        "nobody at risk",
        False,
        (
            r"not dangerous",
            r"no es peligroso",
            r"nobody (?:from|at) (?:our|the) station",
            r"glad (?:you'?re|you are|he'?s|she'?s|they'?re) (?:ok|okay|safe|alright|fine)",
            r"(?:que bueno|lo bueno es|me alegro de) que (?:estes|estas|este|esta) bien",
            r"nobody from our",
            r"thankfully nobody",
            r"nadie de la estacion",
            r"por suerte nadie",
            r"relax,? everyone",
            r"routes (?:are )?(?:running )?as normal",
            r"todo normal",
            r"rutas como siempre",
        ),
    ),
]
FIGURE = "figure of speech"
_FIGURES = (
    r"daylight robbery",
    r"highway robbery",
    r"robbed (?:us|me|them) blind",
    r"(?:es|son|fue|menudo|que|vaya) (?:un )?(?:robo|atraco)",
    r"(?:this|that|it) is theft",
    r"ladron profesional",
    r"robbed (?:me|us|them|him|her) of",
    r"(?:an|un) (?:assault|attack|atentado|ataque) (?:on|against|contra)",
    r"(?:me|nos|le) robo (?:una|un|la|el) (?:hora|horas|tiempo|vida|dia|partido|sueno)",
    r"(?:a|un) crime(?:n)?",
)
PAY = "pay complaint"
_PAY = (
    r"pay",
    r"paid",
    r"payment\w*",
    r"paycheck\w*",
    r"wages?",
    r"rates?",
    r"tips?",
    r"tipped",
    r"earnings",
    r"surge\w*",
    r"per (?:hour|block|mile)",
    r"fuel",
    r"prices?",
    r"fees?",
    r"\$ ?\d+",
    r"\d+ ?(?:dollars|bucks|pounds|euros|pesos|€|£)",
    r"pagos?",
    r"pagan",
    r"sueldo",
    r"tarifas?",
    r"propinas?",
    r"gasolina",
    r"precios?",
    r"cobr\w*",
    r"surcharges?",
    r"recargos?",
    r"combustible",
    r"comision\w*",
    r"bonus\w*",
    r"bonos?",
    r"blocks?",
    r"bloques?",
    r"offers?",
    r"ofertas?",
    r"ratings?",
)
# Only a report of harm happening now uses these: they outweigh a joke, sports, pay or a figure.
_PRESENT = (
    r"(?:gun|knife) ?point",
    r"a punta de",
    r"(?:pulled|pointed|drew) (?:a|his|her) " + _WEAPON,
    r"bleeding(?! (?:money|customers|cash|drivers|clients|points))",
    r"sangrando(?! dinero)",
    r"stitches",
    r"puntos de sutura",
    r"ambulanc\w*",
    r"paramedic\w*",
    r"(?:in|at) (?:the )?(?:hospital|er|a&e|urgent care)",
    r"urgencias",
    r"polices? (?:are|is) (?:here|on (?:the|their) way)",
    r"patrulla",
    r"comisaria",
    r"call(?:ed)? (?:9-?1-?1|999|112)",
    r"llam\w* al (?:112|911)",
    r"right now",
    r"just now",
    r"(?:an|one|two|\d+) (?:hour|hours|min|mins|minutes) ago",
    r"ahora mismo",
    r"acabo de",
    r"me acaban de",
    r"hace (?:\d+|un|una|media|dos|diez|veinte|cinco) (?:minutos|hora|horas)",
)


def _any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")


_CUE_PATTERNS = [(reason, prone, _any(patterns)) for reason, prone, patterns in _CUES]
_WEATHER_PATTERN = _any((_WEATHER,))
_HURT_BODY_PATTERN = _any(_HURT_BODY)
_CAUGHT_OUT_PATTERN = _any(_CAUGHT_OUT)
_CONTEXT_PATTERNS = [(label, outweighed, _any(patterns)) for label, outweighed, patterns in _CONTEXTS]
_PAY_PATTERN = _any(_PAY)
_FIGURE_PATTERN = _any(_FIGURES)
_PRESENT_PATTERN = _any(_PRESENT)


@dataclass(frozen=True, slots=True)
class Urgency:
    """A post's urgency: a 0-1 score, the harms it shows, and the contexts that damped them."""

    score: float
    harms: tuple[str, ...]
    damped_by: tuple[str, ...] = ()

    @property
    def reasons(self) -> list[str]:
        """Return the harms, then "damped by ..." for each context that lowered the score."""
        return [*self.harms, *(f"damped by {label}" for label in self.damped_by)]

    @property
    def figurative(self) -> bool:
        """Whether the harm words are not about harm at all (sports, a film, pay, a figure of speech).

        A joke is not among them: "got bit by a dog lol" is still about a dog bite.
        """
        return bool(set(self.damped_by) & _FIGURATIVE)


_FIGURATIVE = {"sports talk", "film, series or game", "said figuratively", FIGURE, PAY}


# "Nobody hurt", "nadie herido": a harm said not to have happened.
_NEGATED = re.compile(
    r"(?<!\w)(?:nobody|no one|noone|not|wasn'?t|weren'?t|nadie|no hubo|sin) "
    r"(?:was |got |is |were |has been |salio |resulto |ha salido )?"
    r"(?:hurt|injured|harmed|heridos?|heridas?|lesionad[oa]s?|danos personales)(?!\w)"
)


def _folded(text: str) -> str:
    return _NEGATED.sub(" ", fold(text))


def cues(text: str) -> list[str]:
    """Return the harms whose words `text` uses, whatever the post is doing with them."""
    folded = _folded(text)
    found = {reason for reason, _, pattern in _CUE_PATTERNS if pattern.search(folded)}
    return [reason for reason in WEIGHTS if reason in found]


def assess(text: str) -> Urgency:
    """Score how urgently someone should look at `text`, and say why."""
    folded = _folded(text)
    found: set[str] = set()
    only_prone = True
    for reason, prone, pattern in _CUE_PATTERNS:
        if (reason not in found or only_prone) and pattern.search(folded):
            found.add(reason)
            only_prone = only_prone and prone
    if "injury" not in found and _HURT_BODY_PATTERN.search(folded):
        found.add("injury")
        only_prone = False
    if "danger" not in found and _WEATHER_PATTERN.search(folded) and _CAUGHT_OUT_PATTERN.search(folded):
        found.add("danger")
        only_prone = False
    if not found:
        return Urgency(0.0, ())
    harms = tuple(reason for reason in WEIGHTS if reason in found)
    present = _PRESENT_PATTERN.search(folded) is not None
    damped_by = [
        label
        for label, outweighed, pattern in _CONTEXT_PATTERNS
        if not (outweighed and present) and pattern.search(folded)
    ]
    if only_prone and not present:
        damped_by += [
            label
            for label, pattern in ((FIGURE, _FIGURE_PATTERN), (PAY, _PAY_PATTERN))
            if pattern.search(folded)
        ]
    calm = 1.0
    for reason in harms:
        calm *= 1 - WEIGHTS[reason]
    score = (1 - calm) * (DAMPING if damped_by else 1.0)
    return Urgency(round(score, 3), harms, tuple(damped_by))


def reports_now(text: str) -> bool:
    """Return whether `text` uses words only a real, present report of harm uses ("at gunpoint")."""
    return _PRESENT_PATTERN.search(_folded(text)) is not None
