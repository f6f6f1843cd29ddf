/// The demo consultation's questionnaire: items, labels in English and French, answer pools.
enum DemoContent {
    struct Item {
        let id: String
        let theme: Int
        let en: String
        let fr: String
        let reverse: Bool
    }

    static let themes = [
        "enabling_policies", "market_development", "local_capacity", "access_to_finance", "learning_knowledge",
    ]
    static let koboGroups = ["grp_policy", "grp_market", "grp_capacity", "grp_finance", "grp_learning"]

    static let items: [Item] = [
        Item(
            id: "pol1",
            theme: 0,
            en: "National policies support locally led solutions",
            fr: "Les politiques nationales favorisent les solutions locales",
            reverse: false
        ),
        Item(
            id: "pol2",
            theme: 0,
            en: "Regulations make it easy to register and operate a local organisation",
            fr: "La réglementation facilite l'enregistrement et le fonctionnement des organisations locales",
            reverse: false
        ),
        Item(
            id: "pol3",
            theme: 0,
            en: "Local actors are consulted when policies are designed",
            fr: "Les acteurs locaux sont consultés lors de l'élaboration des politiques",
            reverse: false
        ),
        Item(
            id: "pol4",
            theme: 0,
            en: "Policy commitments to localisation are implemented in practice",
            fr: "Les engagements politiques en faveur de la localisation sont mis en œuvre",
            reverse: false
        ),
        Item(
            id: "mkt1",
            theme: 1,
            en: "There is demand for the products and services of local solutions",
            fr: "Il existe une demande pour les produits et services des solutions locales",
            reverse: false
        ),
        Item(
            id: "mkt2",
            theme: 1,
            en: "Public procurement is open to local providers",
            fr: "Les marchés publics sont ouverts aux fournisseurs locaux",
            reverse: false
        ),
        Item(
            id: "mkt3",
            theme: 1,
            en: "Local providers can reach markets beyond their district",
            fr: "Les fournisseurs locaux peuvent atteindre des marchés au-delà de leur district",
            reverse: false
        ),
        Item(
            id: "mkt4",
            theme: 1,
            en: "Partnerships between firms and CSOs are common",
            fr: "Les partenariats entre entreprises et OSC sont courants",
            reverse: false
        ),
        Item(
            id: "cap1",
            theme: 2,
            en: "Local organisations have the skills to scale up",
            fr: "Les organisations locales ont les compétences pour changer d'échelle",
            reverse: false
        ),
        Item(
            id: "cap2",
            theme: 2,
            en: "Training opportunities match local needs",
            fr: "Les formations disponibles répondent aux besoins locaux",
            reverse: false
        ),
        Item(
            id: "cap3",
            theme: 2,
            en: "Local organisations can retain qualified staff",
            fr: "Les organisations locales parviennent à retenir leur personnel qualifié",
            reverse: false
        ),
        Item(
            id: "cap4",
            theme: 2,
            en: "Capacity support is led by local priorities",
            fr: "Le renforcement des capacités suit les priorités locales",
            reverse: false
        ),
        Item(
            id: "fin1",
            theme: 3,
            en: "Local organisations can access funding directly",
            fr: "Les organisations locales accèdent directement aux financements",
            reverse: false
        ),
        Item(
            id: "fin2",
            theme: 3,
            en: "Financial products suit the needs of local solutions",
            fr: "Les produits financiers sont adaptés aux solutions locales",
            reverse: false
        ),
        Item(
            id: "fin3",
            theme: 3,
            en: "Collateral requirements keep local organisations from borrowing",
            fr: "Les exigences de garantie empêchent les organisations locales d'emprunter",
            reverse: true
        ),
        Item(
            id: "fin4",
            theme: 3,
            en: "Donor funding is flexible enough for local priorities",
            fr: "Les financements des bailleurs sont assez flexibles pour les priorités locales",
            reverse: false
        ),
        Item(
            id: "lrn1",
            theme: 4,
            en: "Evidence from local solutions is shared widely",
            fr: "Les enseignements des solutions locales sont largement partagés",
            reverse: false
        ),
        Item(
            id: "lrn2",
            theme: 4,
            en: "There are regular spaces for peer learning",
            fr: "Il existe des espaces réguliers d'apprentissage entre pairs",
            reverse: false
        ),
        Item(
            id: "lrn3",
            theme: 4,
            en: "Data on results is available to local actors",
            fr: "Les données sur les résultats sont accessibles aux acteurs locaux",
            reverse: false
        ),
        Item(
            id: "lrn4",
            theme: 4,
            en: "Lessons learned change how programmes are designed",
            fr: "Les leçons apprises changent la conception des programmes",
            reverse: false
        ),
    ]

    static let likertEN = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
    static let likertFR = [
        "Pas du tout d'accord", "Plutôt pas d'accord", "Ni d'accord ni pas d'accord", "Plutôt d'accord",
        "Tout à fait d'accord",
    ]
    static let likertODK = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree"]

    static let groups = ["government", "private_sector", "cso", "development_partner"]
    /// Mean latent attitude (1–5) per group and theme: where the groups diverge.
    static let bias: [[Double]] = [
        [4.1, 3.2, 3.3, 3.0, 3.4],  // government: positive on policies
        [2.9, 3.6, 3.1, 2.2, 3.0],  // private sector: negative on finance
        [2.4, 3.0, 3.2, 2.3, 3.6],  // CSOs: negative on policies and finance
        [3.3, 3.1, 2.8, 3.2, 3.9],  // development partners
    ]

    static let rawGroupsEN: [[String]] = [
        ["Ministry", "Local government", "County Government of Kisumu", "National government"],
        ["Private company", "Chamber of Commerce", "Social enterprise"],
        ["Local NGO", "Community group", "Women's group", "Civil society organisation"],
        ["Bilateral donor", "UN agency", "International NGO"],
    ]
    static let rawGroupsFR: [[String]] = [
        ["Ministère du Plan", "Collectivité locale", "Ministère de l'Agriculture"],
        ["Entreprise privée", "Chambre de commerce", "Coopérative"],
        ["ONG locale", "Association communautaire", "Groupement de femmes"],
        ["Agence des Nations Unies", "Bailleur bilatéral"],
    ]
    static let rawGroupsODK: [[String]] = [
        ["ministry", "local_government"], ["private_company", "social_enterprise"], ["local_ngo", "community_group"],
        ["bilateral_donor", "un_agency"],
    ]

    static let support = ["funding", "training", "networks", "data", "policy_dialogue"]
    static let supportFR = ["Financement", "Formation", "Réseaux", "Données", "Dialogue politique"]
    static let channels = ["meetings", "radio", "whatsapp", "email", "reports"]
    static let channelsFR = ["Réunions", "Radio", "WhatsApp", "Courriel", "Rapports"]

    static let barriersEN = [
        "Interest rates are far too high and banks ask for collateral we do not have.",
        "The registration process takes months; the regulation is not adapted to small organisations.",
        "Lack of trained staff, and we lose our best people to international NGOs.",
        "Funding is short term and tied to donor priorities, not ours.",
        "Procurement rules exclude local firms because of the high guarantees required.",
        "Poor connectivity in rural areas makes it hard to share information.",
        "Training is not the problem; the real barrier is access to credit.",
        "Policies exist on paper but are not implemented at county level.",
        "Coordination between ministries is weak and decisions are slow.",
        "My name is Grace Wanjiru, call me on +254 712 345 678 or grace.w@example.org — the loan process is impossible for us.",
    ]
    static let barriersFR = [
        "Les taux d'intérêt sont trop élevés et les banques exigent des garanties.",
        "La réglementation est complexe et l'enregistrement prend des mois.",
        "Manque de personnel formé, et les meilleurs partent vers les ONG internationales.",
        "Les financements sont de court terme et suivent les priorités des bailleurs.",
        "Pas de problème de formation : le vrai frein est l'accès au crédit.",
        "La coordination entre ministères reste faible.", "Les marchés publics excluent les entreprises locales.",
        "Je m'appelle Awa Diop, joignez-moi au 77 123 45 67 : le crédit est inaccessible pour nous.",
    ]
    static let successesEN = [
        "Peer learning exchanges between counties helped us copy what works.",
        "A joint platform with the county government improved data sharing.",
        "Mentoring and training for young entrepreneurs opened new markets.",
        "A revolving fund gave women's groups their first loans.",
        "Radio programmes spread the lessons learned to remote villages.",
    ]
    static let successesFR = [
        "Les échanges entre pairs nous ont permis de reproduire ce qui marche.",
        "Une plateforme commune avec la mairie a amélioré le partage des données.",
        "La formation des jeunes entrepreneurs a ouvert de nouveaux marchés.",
        "Un fonds rotatif a permis aux groupements de femmes d'obtenir leur premier crédit.",
    ]
    static let recommendationsEN = [
        "Create a guarantee fund so local organisations can borrow without collateral.",
        "Simplify registration and involve local actors when policies are drafted.",
        "Fund core costs and staff retention, not only projects.",
        "Set up regular learning forums and publish results data openly.",
        "Reserve a share of public procurement for local providers.",
    ]
    static let recommendationsFR = [
        "Créer un fonds de garantie pour faciliter l'accès au crédit.",
        "Simplifier l'enregistrement et consulter les acteurs locaux sur les politiques.",
        "Financer les coûts de fonctionnement et la rétention du personnel.",
        "Organiser des forums d'apprentissage réguliers et publier les données.",
        "Réserver une part des marchés publics aux entreprises locales.",
    ]
}
