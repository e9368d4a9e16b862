from prisoncare import create_app

app = create_app()
