from django.urls import path

from channels_ingest.conversation.transports import chat

app_name = "conversation"

urlpatterns = [
    path("", chat.chat_page, name="chat"),
    path("turn/", chat.chat_turn, name="chat-turn"),
]
