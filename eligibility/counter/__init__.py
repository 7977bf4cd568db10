"""The counter workspace: a clerk's pages about one insured person or household.

Person and household pages (today's assessment, its reasons, the timeline, what-if), the forms
that record life events, issuing and voiding 資格確認書 and handing out お知らせ with their PDFs,
the application queue and the residents' activation codes. Views load records only through
`sumida_kokuho.access` and write only through the services; see docs/adr/0010-counter-pages.md.
"""
