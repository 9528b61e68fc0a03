"""Background jobs: work queued inside a writing transaction and done after it commits
(sending Web Push), by a worker thread in the process or by RQ workers on Redis. Distinct
from common.jobs, the periodic jobs each process runs under a database lease."""
