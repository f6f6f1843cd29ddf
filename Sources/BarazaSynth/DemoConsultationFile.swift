extension DemoGenerator {
    /// The consultation file that maps the demo exports (relative paths: it sits beside them).
    func consultationYAML() -> String {
        #"""
        # Baraza consultation file (format version 1). Written by `baraza synth`; edit freely.
        version: 1
        consultation: "Scaling up local solutions: Kenya and Senegal (demo)"
        name: demo
        store: demo.sqlite
        root: ..                        # paths may reach the folder above: the report goes to ../Reports/demo
        themes: default
        groups:
          government: [ministry, local_government, "Ministère*", "Collectivité*", "County Government*"]
          private_sector: [private_company, social_enterprise, "Social enterprise", "Coopérative"]
          cso: [local_ngo, community_group, "Women's group", "Groupement de femmes", "Association communautaire"]
          development_partner: [bilateral_donor, un_agency, "UN agency", "Bilateral donor", "International NGO", "Bailleur bilatéral"]
        scales:
          agreement:
            labels:
              1: [Strongly disagree, strongly_disagree, "Pas du tout d'accord"]
              2: [Disagree, disagree, "Plutôt pas d'accord"]
              3: [Neither agree nor disagree, neutral, "Ni d'accord ni pas d'accord"]
              4: [Agree, agree, "Plutôt d'accord"]
              5: [Strongly agree, strongly_agree, "Tout à fait d'accord"]
            missing:
              dont_know: ["Don't know", dont_know, "Ne sait pas"]
              refused: ["Prefer not to say", "Préfère ne pas répondre"]
        questions:
          - {id: pol1, theme: enabling_policies, scale: agreement, text: "National policies support locally led solutions", columns: [pol1, "pol1. *"]}
          - {id: pol2, theme: enabling_policies, scale: agreement, text: "Regulations make it easy to register and operate a local organisation", columns: [pol2, "pol2. *"]}
          - {id: pol3, theme: enabling_policies, scale: agreement, text: "Local actors are consulted when policies are designed", columns: [pol3, "pol3. *"]}
          - {id: pol4, theme: enabling_policies, scale: agreement, text: "Policy commitments to localisation are implemented in practice", columns: [pol4, "pol4. *"]}
          - {id: mkt1, theme: market_development, scale: agreement, text: "There is demand for the products and services of local solutions", columns: [mkt1, "mkt1. *"]}
          - {id: mkt2, theme: market_development, scale: agreement, text: "Public procurement is open to local providers", columns: [mkt2, "mkt2. *"]}
          - {id: mkt3, theme: market_development, scale: agreement, text: "Local providers can reach markets beyond their district", columns: [mkt3, "mkt3. *"]}
          - {id: mkt4, theme: market_development, scale: agreement, text: "Partnerships between firms and CSOs are common", columns: [mkt4, "mkt4. *"]}
          - {id: cap1, theme: local_capacity, scale: agreement, text: "Local organisations have the skills to scale up", columns: [cap1, "cap1. *"]}
          - {id: cap2, theme: local_capacity, scale: agreement, text: "Training opportunities match local needs", columns: [cap2, "cap2. *"]}
          - {id: cap3, theme: local_capacity, scale: agreement, text: "Local organisations can retain qualified staff", columns: [cap3, "cap3. *"]}
          - {id: cap4, theme: local_capacity, scale: agreement, text: "Capacity support is led by local priorities", columns: [cap4, "cap4. *"]}
          - {id: fin1, theme: access_to_finance, scale: agreement, text: "Local organisations can access funding directly", columns: [fin1, "fin1. *"]}
          - {id: fin2, theme: access_to_finance, scale: agreement, text: "Financial products suit the needs of local solutions", columns: [fin2, "fin2. *"]}
          - {id: fin3, theme: access_to_finance, scale: agreement, text: "Collateral requirements keep local organisations from borrowing", columns: [fin3, "fin3. *"], reverse: true}
          - {id: fin4, theme: access_to_finance, scale: agreement, text: "Donor funding is flexible enough for local priorities", columns: [fin4, "fin4. *"]}
          - {id: lrn1, theme: learning_knowledge, scale: agreement, text: "Evidence from local solutions is shared widely", columns: [lrn1, "lrn1. *"]}
          - {id: lrn2, theme: learning_knowledge, scale: agreement, text: "There are regular spaces for peer learning", columns: [lrn2, "lrn2. *"]}
          - {id: lrn3, theme: learning_knowledge, scale: agreement, text: "Data on results is available to local actors", columns: [lrn3, "lrn3. *"]}
          - {id: lrn4, theme: learning_knowledge, scale: agreement, text: "Lessons learned change how programmes are designed", columns: [lrn4, "lrn4. *"]}
          - id: support
            type: multiple
            text: "Support received in the last 12 months"
            columns: [support, "Soutiens reçus"]
            options:
              funding: [Financement]
              training: [Formation]
              networks: [Réseaux]
              data: [Données]
              policy_dialogue: [Dialogue politique]
          - id: channels
            type: multiple
            text: "Channels used to share information"
            columns: [channels, "Canaux d'information"]
            options:
              meetings: [Réunions]
              radio: [Radio]
              whatsapp: [WhatsApp]
              email: [Courriel]
              reports: [Rapports]
          - {id: barriers, type: text, codebook: themes, text: "Main barriers to scaling up", columns: [open_barriers, Obstacles]}
          - {id: successes, type: text, codebook: themes, text: "What has worked", columns: [open_successes, Réussites]}
          - {id: recommendations, type: text, codebook: themes, text: "Recommendations", columns: [open_recommendations, Recommandations]}
        codebooks:
          themes:
            - {code: credit_cost, label: "Cost of credit and collateral", theme: access_to_finance, match: ["interest rate*", collateral, "loan*", "credit*", "taux d'interet", "garantie*", "emprunt*"]}
            - {code: donor_dependency, label: "Short-term, donor-driven funding", theme: access_to_finance, match: ["short term", "donor priorit*", "priorites des bailleurs", "court terme"]}
            - {code: guarantee_fund, label: "Guarantee or revolving funds", theme: access_to_finance, match: ["guarantee fund", "revolving fund", "fonds de garantie", "fonds rotatif"]}
            - {code: regulation, label: "Registration and regulation", theme: enabling_policies, match: ["registration", "regulation*", "enregistrement", "reglementation"]}
            - {code: policy_gap, label: "Policies not implemented or not consulted", theme: enabling_policies, match: ["not implemented", "on paper", "policies are drafted", "consulter les acteurs", "involve local actors"]}
            - {code: coordination, label: "Weak coordination", theme: enabling_policies, match: ["coordination"]}
            - {code: skills_staff, label: "Skills and staff retention", theme: local_capacity, match: ["trained staff", "staff retention", "personnel", "training", "formation", "mentoring"], exclude: ["not the problem", "pas de probleme"]}
            - {code: market_access, label: "Market access and procurement", theme: market_development, match: ["procurement", "marches publics", "new markets", "nouveaux marches"]}
            - {code: peer_learning, label: "Peer learning and sharing", theme: learning_knowledge, match: ["peer learning", "learning forum*", "entre pairs", "forums d'apprentissage", "lessons learned", "radio programme*", "share information", "partage des donnees", "data sharing", "publish results"]}
        sources:
          - {path: "kenya/baseline_kobo.csv", country: Kenya, wave: baseline, group_column: org_type}
          - {path: "kenya/followup", country: Kenya, wave: follow-up, group_column: org_type}
          - {path: "senegal/baseline_surveymonkey.csv", country: Senegal, wave: baseline, group_column: "Type d'organisation"}
          - {path: "senegal/followup_surveymonkey.csv", country: Senegal, wave: follow-up, group_column: "Type d'organisation"}
        report:
          title: "Scaling up local solutions: stakeholder consultation, Kenya and Senegal (demo)"
          by: [group, country]
          min_cell: 5
          out: ../Reports/demo
        # Criteria of success the report checks: a theme's mean score or an item's agreement (top-2-box,
        # a share from 0 to 1), for a group or all, at a wave or over all the data.
        targets:
          - {theme: access_to_finance, group: cso, measure: mean, at_least: 3.0}
          - {theme: learning_knowledge, group: government, measure: mean, at_least: 3.5, wave: follow-up}
          - {item: pol3, group: all, measure: top_2_box, at_least: 0.5}
        # What will happen in response to what was heard: the report's closing section.
        actions:
          - finding: "Civil society and the private sector rate access to finance lowest"
            response: "A guarantee fund for local organisations, proposed for the next budget"
            owner: "Ministry of Finance"
            status: under_review
          - finding: "Local actors are not consulted when policies are designed"
            response: "A standing consultation forum with CSOs before each policy review"
            owner: "Ministry of Planning"
            status: adopted
          - finding: "Donor funding is too short-term for local priorities"
            response: "Multi-year pooled funding for local organisations"
            owner: "Development partners' group"
            status: not_adopted
            reason: "Partners' budget rules allow no commitments beyond two years; reviewed again in 2027"
        """#
    }
}
