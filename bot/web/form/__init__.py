"""The whole form on one screen: a request's flow as a web form, opened from a Telegram
Mini App (`initdata`) or a single-use link (`links`), filled (`fields`), saved as a draft
and submitted through the chat's own engine and store (`handlers.form`), served by `page`."""
