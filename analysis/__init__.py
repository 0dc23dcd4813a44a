"""After a stream: read a chat log, score it, replay the mood logic, write a timeline, moments and a
plot (`twitch-mood analyze`). Nothing here runs in a live channel."""
