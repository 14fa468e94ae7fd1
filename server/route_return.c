/*
 * Routes that answer themselves: return = { status; location; body; };
 * and the answers hooks choose with pt_req_answer().
 * The location and body expand the core's variables, so an HTTP to HTTPS
 * redirect is "https://%{host}%{uri}". The configuration checked the
 * status range and that redirects have a location (conf_route.c).
 */
#include "config.h"

#include "route.h"

#include <string.h>

#include <portier/request.h>
#include "core.h"

int
route_return(struct pt_request *r)
{
	const struct conf_return	*ret = &r->route->ret;
	char				*loc, *body;

	if (ret->location != NULL) {
		/*
		 * Variables come from the parsed head, which holds no CR or
		 * LF; the check keeps it so if that ever changes.
		 */
		if ((loc = pt_req_expand(r, ret->location)) == NULL ||
		    strpbrk(loc, "\r\n") != NULL ||
		    resp_field_add(r, "Location", loc) != 0)
			return (500);
	}
	if (ret->body == NULL) {
		/* The usual page for 3xx to 5xx (error_pages apply). */
		if (ret->status >= 300)
			return (ret->status);
		return (resp_send(r, ret->status, NULL, NULL, 0) == 0 ? 0 :
		    PT_ERROR);
	}
	if ((body = pt_req_expand(r, ret->body)) == NULL)
		return (500);
	return (resp_send(r, ret->status, ret->type, body, strlen(body)) == 0 ?
	    0 : PT_ERROR);
}

PT_API int
pt_req_answer(struct pt_request *r, int status, const char *content_type,
    const void *body, size_t len)
{
	if (status < 200 || status > 599 || (body == NULL && len > 0))
		return (PT_ERROR);
	r->answer_status = status;
	r->answer_type = content_type;
	r->answer_body = body;
	r->answer_len = body != NULL ? len : 0;
	return (PT_ANSWERED);
}

int
request_answer(struct pt_request *r)
{
	int status = r->answer_status;

	if (status == 0)
		return (PT_ERROR);	/* PT_ANSWERED without an answer */
	if (status == 204 || status == 304)
		return (resp_send(r, status, NULL, NULL, 0) == 0 ? 0 :
		    PT_ERROR);
	if (r->answer_body == NULL && status >= 300)
		return (resp_error(r, status) == 0 ? 0 : PT_ERROR);
	return (resp_send(r, status, r->answer_type, r->answer_body,
	    r->answer_len) == 0 ? 0 : PT_ERROR);
}
