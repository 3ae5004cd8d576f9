from datetime import datetime

from airflow.sdk import DAG

with DAG("made_up_example", start_date=datetime(2025, 1, 1), schedule=None):
    pass
