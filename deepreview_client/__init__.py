"""A Python client for a deepreview server's REST API (standard library only).

    from deepreview_client import Client

    client = Client("https://review.example.org", token="…")  # or Client.login(url, user, pw)
    project = client.project_create("Suspect videos")
    video = client.upload(project["id"], "clip.mp4")
    client.wait_ready(project["id"], video["id"])  # probed in the background
    jobs = client.detect(project["id"], [video["id"]])
    client.wait(project["id"], jobs[0]["id"], on_progress=print)
    run = client.detections(project["id"], media=video["id"])[0]
    print(run["score_confident"], run["label"])

Every call checks the user's role on the server; errors raise ``ApiError`` with the
server's code, message and per-field reasons.
"""

from deepreview_client.client import ApiError, Client, JobFailed

__all__ = ["ApiError", "Client", "JobFailed"]
