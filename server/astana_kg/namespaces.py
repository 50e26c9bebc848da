"""Namespaces: this project's own vocabulary as a closed namespace, and the prefixes it uses.

``AKG`` is closed: a term the ontology does not define raises instead of minting a new IRI.

>>> AKG.GuarantorRole
rdflib.term.URIRef('https://w3id.org/astana-kg/ontology#GuarantorRole')
>>> AKG.Guarentor
Traceback (most recent call last):
...
AttributeError: term 'Guarentor' not in namespace 'https://w3id.org/astana-kg/ontology#'
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

from .paths import BASE
ONTOLOGY = URIRef(BASE + "ontology")
DATA = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SCHEMA = Namespace("https://schema.org/")
TIME = Namespace("http://www.w3.org/2006/time#")
WD = Namespace("http://www.wikidata.org/entity/")

ONTOLOGY_GRAPH = GRAPH["ontology"]
PROVENANCE_GRAPH = GRAPH["provenance"]
WIKIDATA_GRAPH = GRAPH["curation/wikidata"]
#: The inferred graphs: ``graph/inferred/NNN``, what source NNN entails, and ``graph/inferred/shared``.
INFERRED_GRAPHS = GRAPH["inferred/"]
SHARED_INFERRED_GRAPH = GRAPH["inferred/shared"]


class AKG(DefinedNamespace):
    """The astana-kg ontology, ``https://w3id.org/astana-kg/ontology#`` (generated from ``ontology/``)."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    Agent: URIRef
    Agreement: URIRef
    Alleged: URIRef
    ArmedGroup: URIRef
    Ceasefire: URIRef
    Certain: URIRef
    Certainty: URIRef
    CertaintyScheme: URIRef
    City: URIRef
    Coalition: URIRef
    Conflict: URIRef
    DateDerivation: URIRef
    DeEscalationZone: URIRef
    Deadline: URIRef
    Delegation: URIRef
    Derivation: URIRef
    EntryIntoForce: URIRef
    Event: URIRef
    EventStatus: URIRef
    EventStatusScheme: URIRef
    GovernmentBody: URIRef
    Guarantor: URIRef
    GuarantorRole: URIRef
    InternationalOrganization: URIRef
    Mediator: URIRef
    MediatorRole: URIRef
    Meeting: URIRef
    Memorandum: URIRef
    MilitaryAction: URIRef
    Monitor: URIRef
    MonitorRole: URIRef
    NegotiatingParty: URIRef
    NegotiatingPartyRole: URIRef
    NegotiationRound: URIRef
    NewsOrganization: URIRef
    Observer: URIRef
    ObserverRole: URIRef
    Occurred: URIRef
    Officeholder: URIRef
    Party: URIRef
    PartyToAgreementRole: URIRef
    PeaceProcess: URIRef
    Person: URIRef
    Place: URIRef
    Planned: URIRef
    PoliticalOrganization: URIRef
    Position: URIRef
    Probable: URIRef
    ProposerRole: URIRef
    Province: URIRef
    Provision: URIRef
    Region: URIRef
    Role: URIRef
    Signatory: URIRef
    SignatoryRole: URIRef
    Signing: URIRef
    Source: URIRef
    State: URIRef
    Statement: URIRef
    SupporterRole: URIRef
    Uncertain: URIRef
    UnidentifiedAgent: URIRef
    WalkOut: URIRef
    WikidataAlignment: URIRef
    ZoneDesignation: URIRef
    about: URIRef
    adoptedAt: URIRef
    affiliatedWith: URIRef
    alignedEntity: URIRef
    allowsServiceEndpoint: URIRef
    automaticExtension: URIRef
    basis: URIRef
    capitalOf: URIRef
    certainty: URIRef
    containsPlace: URIRef
    coversArea: URIRef
    coversPartOf: URIRef
    dateline: URIRef
    deadlineOf: URIRef
    derivation: URIRef
    derivedDate: URIRef
    designatedBy: URIRef
    designates: URIRef
    dueDate: URIRef
    dueWithin: URIRef
    endDate: URIRef
    establishedBy: URIRef
    establishes: URIRef
    eventStatus: URIRef
    evidencing: URIRef
    excludes: URIRef
    extension: URIRef
    extensionPeriod: URIRef
    forProperty: URIRef
    governmentOf: URIRef
    hasPart: URIRef
    hasRole: URIRef
    hasSubEvent: URIRef
    headline: URIRef
    inForceFrom: URIRef
    involvedIn: URIRef
    locatedIn: URIRef
    location: URIRef
    notAfter: URIRef
    notBefore: URIRef
    numberOfZones: URIRef
    onBehalfOf: URIRef
    opposes: URIRef
    ordinal: URIRef
    paraphrase: URIRef
    partOf: URIRef
    participant: URIRef
    paxAgreementId: URIRef
    phrase: URIRef
    populationMoreThan: URIRef
    positionIn: URIRef
    possiblySameEventAs: URIRef
    provisionOf: URIRef
    publishedOn: URIRef
    publisher: URIRef
    quotation: URIRef
    reportedIn: URIRef
    represents: URIRef
    responsibleParty: URIRef
    roleIn: URIRef
    roleOf: URIRef
    settlementCount: URIRef
    sharesTextWith: URIRef
    signedAt: URIRef
    signedOn: URIRef
    sourceFile: URIRef
    speaker: URIRef
    startDate: URIRef
    statedAt: URIRef
    statedOn: URIRef
    subEventOf: URIRef
    supports: URIRef
    supportsParty: URIRef
    term: URIRef
    title: URIRef
    via: URIRef
    wikidataItem: URIRef


#: The prefixes predeclared in claim files and used when serializing.
PREFIXES = {
    "akg": str(AKG),
    "id": str(DATA),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": str(SCHEMA),
    "prov": str(PROV),
    "oa": str(OA),
    "time": str(TIME),
    "dcterms": "http://purl.org/dc/terms/",
}
