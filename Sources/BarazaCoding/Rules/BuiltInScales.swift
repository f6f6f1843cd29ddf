import BarazaModel

/// Scales every consultation has without declaring them, labelled in English, French, Spanish and Portuguese.
public enum BuiltInScales {
    public static let missing: [MissingKind: [String]] = [
        .dontKnow: [
            "Don't know", "Dont know", "Do not know", "DK", "Not sure", "Ne sait pas", "Je ne sais pas", "NSP",
            "No sabe", "No sé", "NS", "Não sei", "Não sabe",
        ],
        .refused: [
            "Prefer not to say", "Prefer not to answer", "Refused", "No answer", "Préfère ne pas répondre", "Refus",
            "Sans réponse", "Prefiero no responder", "No responde", "Prefiro não responder", "Recusou",
        ],
        .notApplicable: [
            "N/A", "NA", "Not applicable", "Non applicable", "Sans objet", "No aplica", "No corresponde",
            "Não se aplica",
        ], .sentinel: ["-99", "-999", "999", "-9", "-8", "-7", "-77", "-88", "88", "99", "77"],
    ]

    static func scale(_ id: String, _ points: [[String]]) -> Scale {
        Scale(
            id: id,
            points: points.enumerated().map { ScalePoint(value: $0.offset + 1, labels: $0.element) },
            missing: missing
        )
    }

    public static let all: [String: Scale] = {
        let list = [
            scale(
                "agree5",
                [
                    [
                        "Strongly disagree", "Tout à fait en désaccord", "Pas du tout d'accord",
                        "Fortement en désaccord", "Muy en desacuerdo", "Totalmente en desacuerdo",
                        "Discordo totalmente",
                    ],
                    ["Disagree", "Plutôt pas d'accord", "Pas d'accord", "En désaccord", "En desacuerdo", "Discordo"],
                    [
                        "Neither agree nor disagree", "Neutral", "Neither", "Ni d'accord ni pas d'accord", "Neutre",
                        "Ni de acuerdo ni en desacuerdo", "Nem concordo nem discordo",
                    ], ["Agree", "Plutôt d'accord", "D'accord", "De acuerdo", "Concordo"],
                    [
                        "Strongly agree", "Tout à fait d'accord", "Fortement d'accord", "Muy de acuerdo",
                        "Totalmente de acuerdo", "Concordo totalmente",
                    ],
                ]
            ),
            scale(
                "agree4",
                [
                    ["Strongly disagree", "Pas du tout d'accord", "Muy en desacuerdo", "Discordo totalmente"],
                    ["Disagree", "Plutôt pas d'accord", "En desacuerdo", "Discordo"],
                    ["Agree", "Plutôt d'accord", "De acuerdo", "Concordo"],
                    ["Strongly agree", "Tout à fait d'accord", "Muy de acuerdo", "Concordo totalmente"],
                ]
            ),
            scale(
                "importance5",
                [
                    ["Not at all important", "Pas du tout important", "Nada importante", "Nada importante"],
                    ["Slightly important", "Peu important", "Poco importante", "Pouco importante"],
                    [
                        "Moderately important", "Moyennement important", "Moderadamente importante",
                        "Moderadamente importante",
                    ], ["Very important", "Très important", "Muy importante", "Muito importante"],
                    [
                        "Extremely important", "Extrêmement important", "Sumamente importante",
                        "Extremamente importante",
                    ],
                ]
            ),
            scale(
                "frequency5",
                [
                    ["Never", "Jamais", "Nunca"], ["Rarely", "Rarement", "Raramente", "Casi nunca"],
                    ["Sometimes", "Parfois", "A veces", "Às vezes"],
                    ["Often", "Souvent", "A menudo", "Frequentemente", "Muchas veces"],
                    ["Always", "Toujours", "Siempre", "Sempre"],
                ]
            ),
            scale(
                "satisfaction5",
                [
                    ["Very dissatisfied", "Très insatisfait", "Muy insatisfecho", "Muito insatisfeito"],
                    ["Dissatisfied", "Insatisfait", "Insatisfecho", "Insatisfeito"],
                    [
                        "Neither satisfied nor dissatisfied", "Ni satisfait ni insatisfait",
                        "Ni satisfecho ni insatisfecho", "Nem satisfeito nem insatisfeito",
                    ], ["Satisfied", "Satisfait", "Satisfecho", "Satisfeito"],
                    ["Very satisfied", "Très satisfait", "Muy satisfecho", "Muito satisfeito"],
                ]
            ),
            Scale(
                id: "yesno",
                points: [
                    ScalePoint(value: 0, labels: ["No", "Non", "No", "Não", "false", "0"]),
                    ScalePoint(value: 1, labels: ["Yes", "Oui", "Sí", "Si", "Sim", "true", "1"]),
                ],
                missing: missing
            ),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0) })
    }()
}
