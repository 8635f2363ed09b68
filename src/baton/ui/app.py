"""The Streamlit script: ``streamlit run src/baton/ui/app.py`` (``baton ui`` does this for
you, with a worker). The database is ``$BATON_DATABASE_URL`` (see ``baton.settings``)."""

from baton.ui.main import main

main()
